import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module.js';
import { AvatarsModule } from '../avatars/avatars.module.js';
import { SessionsModule } from '../sessions/sessions.module.js';
import { UsersModule } from '../users/users.module.js';
import { MeController } from './me.controller.js';
import { ProfileService } from './profile.service.js';

// Owns the own record: GET /me and its atomic update (PATCH /me, the avatar routes). Credentials
// go through auth's CredentialsService, images through AvatarsService, and the user's fields
// themselves through UsersService.
@Module({
  imports: [UsersModule, AuthModule, SessionsModule, AvatarsModule],
  controllers: [MeController],
  providers: [ProfileService],
  exports: [ProfileService],
})
export class ProfileModule {}
