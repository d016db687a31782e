import { Controller, Get, HttpCode, Logger, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentServiceKey, ServiceScope } from '../service-keys/service-scope.decorator.js';
import type { ServicePrincipal } from '../service-keys/service-scopes.js';
import { SigningKeysService } from './signing-keys.service.js';

const audit = new Logger('audit');

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
    const key = await this.keys.rotate();
    audit.log(
      { action: 'signing_keys.rotate', key_id: caller.keyId, key_name: caller.name, kid: key.kid },
      'signing key rotated',
    );
    return { signing_key: key };
  }
}
