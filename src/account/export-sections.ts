import { Injectable } from '@nestjs/common';

/**
 * Parts of `GET /me/export` that features above `account/` hold (the identities of `oidc/`): each
 * registers its part at start-up, so the export lists them without `account/` importing them.
 */
@Injectable()
export class ExportSections {
  private readonly sections = new Map<string, (userId: number) => Promise<unknown>>();

  register(name: string, collect: (userId: number) => Promise<unknown>): void {
    if (this.sections.has(name)) throw new Error(`export section ${name} registered twice`);
    this.sections.set(name, collect);
  }

  async collect(userId: number): Promise<Record<string, unknown>> {
    const parts = await Promise.all(
      [...this.sections].map(async ([name, collect]) => [name, await collect(userId)] as const),
    );
    return Object.fromEntries(parts);
  }
}
