import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Controller, Get, Inject, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '../common/auth.decorators.js';
import { AppError } from '../common/errors.js';
import { type AppConfig } from '../config/app-config.js';
import { APP_CONFIG } from '../config/config.module.js';

/** The page's files: a fixed list, so no request path ever reaches the file system. */
const FILES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
  // The service worker that shows browser pushes (Web Push); its scope is /demo/.
  'sw.js': 'text/javascript; charset=utf-8',
};

/**
 * `<project root>/src/demo/public`, found from this file whether it runs as src/demo/*.ts (tests)
 * or dist/src/demo/*.js (`npm start`): the build compiles TypeScript only, so the page's plain
 * files are served from the source tree and need no copy step.
 */
export function publicFolder(): string {
  let folder = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(folder, 'package.json'))) {
    const parent = dirname(folder);
    if (parent === folder)
      throw new Error('demo page: no package.json above ' + fileURLToPath(import.meta.url));
    folder = parent;
  }
  return join(folder, 'src', 'demo', 'public');
}

@ApiExcludeController()
@Controller('demo')
export class DemoController {
  private readonly folder = publicFolder();
  private readonly policy: string;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    // helmet's default policy, minus `upgrade-insecure-requests` (it breaks the page on plain http
    // on a LAN address), plus avatar images, which are absolute URLs under PUBLIC_URL.
    this.policy = [
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self'",
      `img-src 'self' data: ${new URL(config.publicUrl).origin}`,
      "connect-src 'self'",
      "object-src 'none'",
      "base-uri 'none'",
      "form-action 'self'",
      "frame-ancestors 'none'",
    ].join('; ');
  }

  @Public()
  @Get()
  page(@Res() response: Response): void {
    this.send(response, 'index.html');
  }

  @Public()
  @Get(':file')
  file(@Param('file') file: string, @Res() response: Response): void {
    if (!Object.hasOwn(FILES, file)) throw new AppError('not_found', 'no such file');
    this.send(response, file);
  }

  private send(response: Response, file: string): void {
    response.setHeader('Content-Type', FILES[file]);
    // The page is tiny and changes with the code: always revalidate.
    response.setHeader('Cache-Control', 'no-cache');
    response.setHeader('Content-Security-Policy', this.policy);
    response.sendFile(join(this.folder, file));
  }
}
