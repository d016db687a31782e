import 'reflect-metadata';
import { Body, Controller, Get, Module, Param, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { ApiContract } from './contract.js';
import { buildApiDocument } from './document.js';

// The start-up check of the API document, on a Nest application as createApp builds one (the
// document is built before the app listens): a route nobody declared stops the start.

@Controller('api/v1/rpc')
class RpcController {
  @Post(':method')
  call(@Param('method') method: string, @Body() body: unknown) {
    return { method, body };
  }
}

@Controller('api/v1/things')
class ThingsController {
  @Get()
  list() {
    return { things: [] };
  }
}

@Module({ controllers: [RpcController, ThingsController] })
class ThingsModule {}

const RPC: ApiContract = { operations: { 'POST /rpc/{method}': { status: 200, body: 'Empty' } } };
const THINGS: ApiContract = { operations: { 'GET /things': { status: 200, body: 'Empty' } } };

describe('the API document at start-up', () => {
  let app: NestExpressApplication;

  beforeAll(async () => {
    app = await NestFactory.create<NestExpressApplication>(ThingsModule, { logger: false });
  });
  afterAll(async () => {
    await app.close();
  });

  it('builds when every route has a contract', () => {
    const document = buildApiDocument(app, [RPC, THINGS]);
    expect(document.paths['/api/v1/things'].get?.responses['200']).toBeDefined();
  });

  it('refuses to start when a route has no contract, naming the route', () => {
    expect(() => buildApiDocument(app, [RPC])).toThrow(
      "OpenAPI: no contract for GET /things (declare it in the feature's *.contract.ts)",
    );
  });

  it('refuses to start when a contract names no route', () => {
    const stale: ApiContract = { operations: { 'DELETE /things': { status: 200, body: 'Empty' } } };
    expect(() => buildApiDocument(app, [RPC, THINGS, stale])).toThrow(
      'OpenAPI: contracts without an operation: DELETE /things',
    );
  });
});
