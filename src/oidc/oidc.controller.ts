import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { type AuthUser, CurrentUser, Public } from '../common/auth.decorators.js';
import { Client, type ClientInfo } from '../common/client-info.decorator.js';
import { IdTokenDto, LinkIdentityDto, LoginCodeDto } from './dto/oidc.dto.js';
import { OidcService } from './oidc.service.js';

@ApiTags('auth')
@Controller('auth/oidc')
export class OidcController {
  constructor(private readonly oidc: OidcService) {}

  @Public()
  @Get('providers')
  @ApiOperation({ summary: 'The OpenID providers people may sign in with (a button each)' })
  providers() {
    return { providers: this.oidc.providers() };
  }

  @Public()
  @Get(':provider/start')
  @ApiOperation({
    summary: 'Web sign-in: redirects the browser to the provider (PKCE, state and nonce)',
  })
  async start(@Param('provider') provider: string, @Res() response: Response): Promise<void> {
    response.redirect(302, await this.oidc.start(provider));
  }

  @Public()
  @Get(':provider/callback')
  @ApiOperation({
    summary: "The provider's answer: redirects to the application with a one-time login_code, or error",
  })
  async callback(
    @Param('provider') provider: string,
    @Query() query: Record<string, string>,
    @Res() response: Response,
  ): Promise<void> {
    response.redirect(302, await this.oidc.callback(provider, query));
  }

  @Public()
  @Post(':provider/callback')
  @ApiOperation({
    summary: "The provider's answer posted back (form_post, as Apple does): as the GET callback",
  })
  async callbackPosted(
    @Param('provider') provider: string,
    @Body() form: Record<string, string>,
    @Res() response: Response,
  ): Promise<void> {
    response.redirect(302, await this.oidc.callback(provider, form));
  }

  @Public()
  @Post('exchange')
  @HttpCode(200)
  @ApiOperation({ summary: 'Trade the one-time login_code of the web sign-in for a login' })
  exchange(@Body() dto: LoginCodeDto, @Client() client: ClientInfo) {
    return this.oidc.exchange(dto.login_code, client);
  }

  @Public()
  @Post(':provider/id-token')
  @HttpCode(200)
  @ApiOperation({
    summary: "Native sign-in: an ID token from the provider's SDK (Sign in with Apple, Google)",
  })
  idToken(@Param('provider') provider: string, @Body() dto: IdTokenDto, @Client() client: ClientInfo) {
    return this.oidc.idTokenLogin(provider, dto.id_token, dto.nonce, client);
  }
}

@ApiTags('profile')
@ApiBearerAuth()
@Controller('me/identities')
export class IdentitiesController {
  constructor(private readonly oidc: OidcService) {}

  @Get()
  @ApiOperation({ summary: 'The OpenID identities that sign in to my account' })
  async list(@CurrentUser() user: AuthUser) {
    return { identities: await this.oidc.list(user.userId) };
  }

  @Post(':provider')
  @ApiOperation({ summary: 'Link an identity I prove (a login_code, or an ID token and its nonce)' })
  async link(
    @CurrentUser() user: AuthUser,
    @Param('provider') provider: string,
    @Body() dto: LinkIdentityDto,
    @Client() client: ClientInfo,
  ) {
    return { identity: await this.oidc.linkProven(user.userId, provider, dto, client) };
  }

  // One path parameter with POST's name: two templates at one place would be one ambiguous path.
  @Delete(':provider')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Unlink an identity (by its id, or its provider), while another way to sign in remains',
  })
  async unlink(@CurrentUser() user: AuthUser, @Param('provider') idOrProvider: string) {
    await this.oidc.unlink(user.userId, idOrProvider);
    return {};
  }
}
