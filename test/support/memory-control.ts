import { randomUUID } from 'node:crypto';
import type {
  ControlPlane,
  DeploymentRecord,
  FinishRecord,
  LiveRelease,
  LogLine,
  OpenedDeployment,
  OpenRequest,
  Upstream,
} from '../../lib/core/context.js';
import { SlipwayError } from '../../lib/core/errors.js';
import { assertTransition, type DeploymentStatus } from '../../lib/core/status.js';

/** An in-memory control plane for unit tests of the Deployer and plugins. */
export class MemoryControl implements ControlPlane {
  deployments = new Map<string, DeploymentRecord>();
  logs = new Map<string, LogLine[]>();
  live = new Map<string, LiveRelease>();
  routes = new Map<string, Upstream[]>();
  configVars: Record<string, string> = {};
  statusHistory: DeploymentStatus[] = [];
  heartbeats = 0;
  #release = 0;
  #locked = new Set<string>();

  async open(request: OpenRequest): Promise<OpenedDeployment> {
    if (this.#locked.has(request.app)) {
      throw new SlipwayError('DEPLOY_LOCKED', `a deployment of ${request.app} is already running`);
    }
    this.#locked.add(request.app);
    const id = randomUUID();
    const release = ++this.#release;
    this.deployments.set(id, {
      id,
      app: request.app,
      release,
      version: request.version,
      kind: request.kind,
      mode: request.mode,
      status: 'queued',
      hookExitCode: null,
      hookReason: null,
      warnings: [],
      error: null,
      startedAt: new Date().toISOString(),
      finishedAt: null,
      durationMs: null,
      sourceRelease: request.sourceRelease ?? null,
    });
    this.statusHistory.push('queued');
    return {
      id,
      release,
      port: request.port ?? 0,
      configVars: { ...this.configVars },
      live: this.live.get(request.app) ?? null,
      firstDeploy: !this.live.has(request.app),
    };
  }

  async heartbeat(): Promise<void> {
    this.heartbeats++;
  }

  async setStatus(id: string, status: DeploymentStatus): Promise<void> {
    const d = this.#get(id);
    assertTransition(d.status, status);
    d.status = status;
    this.statusHistory.push(status);
  }

  async appendLogs(id: string, lines: LogLine[]): Promise<void> {
    this.logs.set(id, [...(this.logs.get(id) ?? []), ...lines]);
  }

  /** As the agent does: the switch also makes the deployment `success`. */
  async switchRoute(id: string, upstreams: Upstream[]): Promise<void> {
    const d = this.#get(id);
    await this.setStatus(id, 'success');
    this.routes.set(d.app, upstreams);
    this.live.set(d.app, { release: d.release, version: d.version, deploymentId: id, upstreams });
  }

  async finish(id: string, { logs, ...record }: FinishRecord): Promise<DeploymentRecord> {
    if (logs?.length) await this.appendLogs(id, logs);
    const d = this.#get(id);
    if (d.status !== record.status) {
      assertTransition(d.status, record.status);
      this.statusHistory.push(record.status);
    }
    Object.assign(d, record, { finishedAt: new Date().toISOString() });
    this.#locked.delete(d.app);
    return { ...d };
  }

  logText(id: string): string {
    return (this.logs.get(id) ?? []).map((l) => l.line).join('\n');
  }

  #get(id: string): DeploymentRecord {
    const d = this.deployments.get(id);
    if (!d) throw new Error(`unknown deployment ${id}`);
    return d;
  }
}
