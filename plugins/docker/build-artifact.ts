import { existsSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import type Docker from 'dockerode';
import { agentControl } from '../../lib/control/agent-control.js';
import type { Artifact, DeploymentContext } from '../../lib/core/context.js';
import { SlipwayError } from '../../lib/core/errors.js';
import { buildContext } from './build-context.js';
import { readProgress, textLines } from './json-stream.js';
import { imageLabels, imageRepository, imageTag } from './labels.js';

export const RUNTIME = 'docker';

/** The Engine answered 404: no such image, container or network. */
export function isNotFound(error: unknown): boolean {
  return (error as { statusCode?: number })?.statusCode === 404;
}

async function imageExists(docker: Docker, name: string): Promise<boolean> {
  try {
    await docker.getImage(name).inspect();
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}

/** Tags an existing image as this release, so pruning and rollbacks find every release by its tag. */
async function tagAsRelease(ctx: DeploymentContext, docker: Docker, source: string): Promise<string> {
  const tag = imageTag(ctx.app, ctx.release);
  await docker.getImage(source).tag({ repo: imageRepository(ctx.app), tag: String(ctx.release) });
  return tag;
}

function artifact(ctx: DeploymentContext, image: string): Artifact {
  return { runtime: RUNTIME, release: ctx.release, image };
}

/** `docker.image`: a prebuilt image, pulled only when the Engine does not have it yet. */
async function usePrebuilt(ctx: DeploymentContext, docker: Docker, image: string): Promise<Artifact> {
  if (!(await imageExists(docker, image))) {
    ctx.log('build', `pulling ${image}`, 'system');
    try {
      const stream = await docker.pull(image);
      let failure: string | undefined;
      await readProgress(
        stream,
        (m) => {
          if (m.error) failure = m.errorDetail?.message ?? m.error;
          else if (m.status && !m.progress) ctx.log('build', m.id ? `${m.id}: ${m.status}` : m.status);
        },
        ctx.signal,
      );
      if (failure) throw new Error(failure);
    } catch (error) {
      throw new SlipwayError(
        'BUILD_FAILED',
        `image ${image} is not on the Engine and could not be pulled: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }
  const tag = await tagAsRelease(ctx, docker, image);
  ctx.log('build', `deploying the prebuilt image ${image} as ${tag}`, 'system');
  return artifact(ctx, tag);
}

/** The Dockerfile's path inside the build context, or a BUILD_FAILED that says what to do. */
function dockerfilePath(ctx: DeploymentContext): string {
  const configured = ctx.config.docker.dockerfile ?? 'Dockerfile';
  const absolute = resolve(ctx.config.dir, configured);
  const inside = relative(ctx.config.dir, absolute);
  if (!inside || inside.startsWith('..') || isAbsolute(inside)) {
    throw new SlipwayError(
      'BUILD_FAILED',
      `docker.dockerfile (${configured}) must be inside the app directory ${ctx.config.dir}: the Engine only sees that directory`,
    );
  }
  if (!existsSync(absolute)) {
    throw new SlipwayError(
      'BUILD_FAILED',
      `no Dockerfile at ${absolute}: add one, set docker.dockerfile, or deploy a prebuilt image with docker.image`,
    );
  }
  return inside.split(sep).join('/');
}

/**
 * The classic builder reuses cached intermediate images, which another app's
 * image removal (release pruning) can delete while this build stacks on one:
 * the build then fails to commit its step. Building again, without that
 * layer in the cache, is all it takes.
 */
const CACHE_LAYER_GONE = /unknown parent image ID|failed to set parent/;

async function build(ctx: DeploymentContext, docker: Docker): Promise<Artifact> {
  const tag = imageTag(ctx.app, ctx.release);
  const dockerfile = dockerfilePath(ctx);
  const args = Object.keys(ctx.config.docker.buildArgs ?? {});
  // Names only: a build argument may carry a token.
  ctx.log(
    'build',
    `building ${tag} from ${dockerfile}${args.length ? ` (build args: ${args.join(', ')})` : ''}`,
    'system',
  );
  const started = Date.now();
  let failure = await buildOnce(ctx, docker, tag, dockerfile);
  if (failure && CACHE_LAYER_GONE.test(failure)) {
    ctx.log('build', `a cached layer was removed during the build (${failure}); building again`, 'system');
    failure = await buildOnce(ctx, docker, tag, dockerfile);
  }
  if (failure) {
    ctx.log('build', failure, 'stderr');
    throw new SlipwayError('BUILD_FAILED', `docker build failed: ${failure}`);
  }
  ctx.log('build', `built ${tag} in ${Date.now() - started} ms`, 'system');
  return artifact(ctx, tag);
}

/** One `docker build`; the Engine's error message when it failed. */
async function buildOnce(
  ctx: DeploymentContext,
  docker: Docker,
  tag: string,
  dockerfile: string,
): Promise<string | undefined> {
  const agent = agentControl(ctx);
  const exclude = agent ? [agent.paths.home] : [];
  let stream: NodeJS.ReadableStream;
  try {
    stream = await docker.buildImage(buildContext(ctx.config.dir, { dockerfile, exclude }), {
      t: tag,
      dockerfile,
      // The config's build arguments; SOURCE_VERSION is always the revision deployed.
      buildargs: { ...ctx.config.docker.buildArgs, SOURCE_VERSION: ctx.version },
      labels: imageLabels(ctx),
      rm: true,
      forcerm: true,
      // RUN steps get the host's network: an Engine started without a bridge has no other.
      networkmode: 'host',
    } as Docker.ImageBuildOptions);
  } catch (error) {
    throw new SlipwayError('BUILD_FAILED', `the Engine refused the build: ${(error as Error).message}`, {
      cause: error,
    });
  }
  let failure: string | undefined;
  const lines = textLines((line) => ctx.log('build', line));
  await readProgress(
    stream,
    (m) => {
      if (m.stream) lines.push(m.stream);
      else if (m.error) failure = m.errorDetail?.message ?? m.error;
      else if (m.status) ctx.log('build', m.id ? `${m.id}: ${m.status}` : m.status);
    },
    ctx.signal,
  );
  lines.end();
  return failure;
}

/**
 * The release's image: a rollback reuses the source release's image, a
 * `docker.image` deploys that image, anything else is built from the app's
 * Dockerfile. Every release image is tagged `slipway/<app>:<release>`.
 */
export async function buildArtifact(ctx: DeploymentContext, docker: Docker): Promise<Artifact> {
  if (ctx.sourceRelease !== null) {
    const source = imageTag(ctx.app, ctx.sourceRelease);
    if (!(await imageExists(docker, source))) {
      throw new SlipwayError(
        'RELEASE_NOT_FOUND',
        `the image of release ${ctx.sourceRelease} (${source}) is no longer on the Engine (docker.keepImages)`,
      );
    }
    const tag = await tagAsRelease(ctx, docker, source);
    ctx.log('build', `reusing the image of release ${ctx.sourceRelease} (${source}) as ${tag}`, 'system');
    return artifact(ctx, tag);
  }
  // The image is the build: a `build` command would run nowhere the containers could see.
  if (ctx.config.build) {
    ctx.warn({
      plugin: 'docker',
      message: `the \`build\` command (${ctx.config.build}) is not run with runtime: docker; put it in a RUN step of the Dockerfile`,
    });
  }
  if (ctx.config.docker.image) return usePrebuilt(ctx, docker, ctx.config.docker.image);
  return build(ctx, docker);
}
