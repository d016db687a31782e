import { Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { operatorOf } from '../service-keys/operator.js';
import { CurrentServiceKey, ServiceScope } from '../service-keys/service-scope.decorator.js';
import type { ServicePrincipal } from '../service-keys/service-scopes.js';
import { SigningKeysService } from './signing-keys.service.js';

@ApiTags('admin')
@ServiceScope('admin')
@Controller('admin/signing-keys')
export class SigningKeysController {
  constructor(private readonly keys: SigningKeysService) {}

  @Get()
  @ApiOperation({ summary: 'The access-token signing keys, newest first, with their state' })
  async list() {
    return { signing_keys: await this.keys.list() };
  }

  @Post('rotate')
  @HttpCode(201)
  @ApiOperation({
    summary: 'Publish the next signing key',
    description:
      'The new key is listed in the JWKS at once and signs only after KEY_PUBLISH_DELAY; the current key keeps signing until then and stays published for one token lifetime more.',
  })
  async rotate(@CurrentServiceKey() caller: ServicePrincipal) {
    return { signing_key: await this.keys.rotate(operatorOf(caller)) };
  }
}
