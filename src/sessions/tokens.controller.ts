import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '../common/auth.decorators.js';
import { Client } from '../common/client-info.decorator.js';
import { CredentialLoginService } from '../auth/credential-login.service.js';
import { type ClientInfo } from '../common/client-info.decorator.js';
import { credentialsFrom } from '../auth/credentials.js';
import { CredentialsDto } from '../auth/dto/auth.dto.js';

/** POST /tokens lives here, not in tokens/, because it checks credentials (auth's job). */
@ApiTags('tokens')
@Controller('tokens')
export class AccessTokensController {
  constructor(private readonly credentialLogin: CredentialLoginService) {}

  @Public()
  @Post()
  @HttpCode(200)
  @ApiOperation({ summary: 'An access token for email+password (a new session) or for an auth_token' })
  issue(@Body() dto: CredentialsDto, @Client() client: ClientInfo) {
    return this.credentialLogin.issueToken(credentialsFrom(dto), client);
  }
}
