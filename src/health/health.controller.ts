import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  HealthCheck,
  HealthCheckService,
  HealthIndicatorService,
  TypeOrmHealthIndicator,
} from '@nestjs/terminus';
import { Public } from '../common/auth.decorators.js';
import { ClusterBus } from '../bus/cluster-bus.service.js';
import { RedisService } from '../bus/redis.service.js';

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly indicators: HealthIndicatorService,
    private readonly redis: RedisService,
    private readonly bus: ClusterBus,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Liveness: the process answers' })
  live() {
    return { status: 'ok' };
  }

  @Get('ready')
  @HealthCheck()
  @ApiOperation({ summary: 'Readiness: the database (and Redis, when used) answer' })
  ready() {
    return this.health.check([
      () => this.database.pingCheck('database', { timeout: 2000 }),
      async () => {
        const indicator = this.indicators.check('redis');
        if (!this.redis.client) return indicator.up({ mode: 'in-process' });
        try {
          await this.redis.client.ping();
        } catch (error) {
          return indicator.down({ message: (error as Error).message });
        }
        // Redis answers, but this instance may not hear the bus (a silent subscriber connection).
        if (!this.bus.inSync) return indicator.down({ message: 'the bus heartbeat is not heard' });
        return indicator.up();
      },
    ]);
  }
}
