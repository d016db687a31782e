import { Module } from '@nestjs/common';
import { DemoController } from './demo.controller.js';

// Owns the demo web client at /demo: static files (public/) that use only the public API, served
// by any instance. No build step: plain JavaScript and CSS, no CDN.
// It depends on nothing but the configuration (for its Content-Security-Policy).
@Module({ controllers: [DemoController] })
export class DemoModule {}
