import type Docker from 'dockerode';

/** A task as the Engine lists it (the fields slipway reads). */
export interface TaskInfo {
  ID: string;
  ServiceID: string;
  NodeID?: string;
  Slot?: number;
  DesiredState: string;
  Status: {
    State: string;
    Message?: string;
    Err?: string;
    ContainerStatus?: { ContainerID?: string; ExitCode?: number };
  };
}

/** Task states past running: the task will not run (again). */
const ENDED = new Set(['complete', 'failed', 'rejected', 'shutdown', 'orphaned', 'remove']);

export function hasEnded(task: TaskInfo): boolean {
  return ENDED.has(task.Status.State);
}

export function isRunning(task: TaskInfo): boolean {
  return task.Status.State === 'running' && task.DesiredState === 'running';
}

/** The tasks of one service, ended ones included (the Engine keeps a few per slot). */
export async function serviceTasks(docker: Docker, serviceId: string): Promise<TaskInfo[]> {
  return (await docker.listTasks({ filters: { service: [serviceId] } })) as TaskInfo[];
}

/** How a task ended, for messages: its exit status, or what the Engine said. */
export function endedHow(task: TaskInfo): string {
  const code = task.Status.ContainerStatus?.ExitCode;
  if (task.Status.State === 'rejected')
    return `could not start (${task.Status.Err ?? task.Status.Message ?? 'rejected'})`;
  return code !== undefined ? `exited with status ${code}` : `ended (${task.Status.Err ?? task.Status.State})`;
}

/**
 * The address the router reaches a node's tasks at: the node's own address
 * in the swarm (its advertise address; 127.0.0.1 on a single-node swarm
 * made with `--advertise-addr 127.0.0.1`). Asked once per node.
 */
export function nodeAddresses(docker: Docker): (nodeId: string) => Promise<string> {
  const known = new Map<string, Promise<string>>();
  return (nodeId) => {
    let address = known.get(nodeId);
    if (!address) {
      address = docker
        .getNode(nodeId)
        .inspect()
        .then((n: { Status?: { Addr?: string } }) => {
          const addr = n.Status?.Addr;
          return !addr || addr === '0.0.0.0' ? '127.0.0.1' : addr;
        });
      known.set(nodeId, address);
    }
    return address;
  };
}
