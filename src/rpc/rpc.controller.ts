import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiExtraModels, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { ClientInfo } from '../common/client-info.decorator.js';
import { CallerOrFailure, Public } from '../common/auth.decorators.js';
import type { AppError } from '../common/errors.js';
import { Client } from '../common/client-info.decorator.js';
import type { AuthenticatedUser } from '../sessions/jwt.strategy.js';
import { RPC_METHODS } from './rpc-methods.js';
import { RpcService } from './rpc.service.js';

const METHOD_TABLE = Object.entries(RPC_METHODS)
  .map(([name, spec]) => `| \`${name}\` | \`${spec.rest}\` | ${spec.access} | \`${spec.result}\` |`)
  .join('\n');

@ApiTags('rpc')
@ApiBearerAuth()
// The arguments of every method are schemas of the document, also those no REST route takes as a body.
@ApiExtraModels(...new Set(Object.values(RPC_METHODS).map((spec) => spec.dto)))
@Controller('rpc')
export class RpcController {
  constructor(private readonly rpc: RpcService) {}

  // Public at the route: each method checks its own access (RPC_METHODS), with the same guard
  // logic as its REST route.
  @Public()
  @Post(':method')
  @HttpCode(200)
  @ApiParam({ name: 'method', enum: Object.keys(RPC_METHODS) })
  @ApiBody({
    description: "The method's arguments as a JSON object",
    schema: { type: 'object' },
    required: false,
  })
  @ApiOperation({
    summary: "Seed-compatible call of a method by name; 200 on success, the REST route's errors otherwise",
    description: `| method | REST route | access | result |\n|---|---|---|---|\n${METHOD_TABLE}`,
  })
  call(
    @Param('method') method: string,
    @Body() args: unknown,
    @CallerOrFailure() caller: AuthenticatedUser | AppError | null,
    @Client() client: ClientInfo,
  ) {
    return this.rpc.call(method, args, caller, client);
  }
}
