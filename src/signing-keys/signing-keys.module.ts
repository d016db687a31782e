import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { JwksController } from './jwks.controller.js';
import { SigningKey } from './signing-key.entity.js';
import { SigningKeysController } from './signing-keys.controller.js';
import { SigningKeysService } from './signing-keys.service.js';

// Owns the signing_keys table: the ES256 keys of access tokens (private parts sealed under the
// master secret), their rotation schedule, the public key set at /.well-known/jwks.json and the
// admin routes that list and rotate them. sessions/ signs and verifies with SigningKeysService.
@Module({
  imports: [TypeOrmModule.forFeature([SigningKey])],
  controllers: [JwksController, SigningKeysController],
  providers: [SigningKeysService],
  exports: [SigningKeysService],
})
export class SigningKeysModule {}
