# crdb-tasks-emulator: the emulator as a service for compose stacks and CI.
#   docker build -t crdb-tasks-emulator .
#   docker run --rm -p 8080:8080 crdb-tasks-emulator --clock manual
# Any Node.js 20+ image works as the base: --build-arg NODE_IMAGE=node:20-slim
ARG NODE_IMAGE=node:22-slim

# build: compile TypeScript with the dev dependencies
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json tsconfig.ui.json ./
COPY src ./src
RUN npm run build

# production dependencies only
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    HOST=0.0.0.0
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json README.md ./
COPY fixtures ./fixtures
# a place for --state-file (mount a volume here to keep the state across containers)
RUN mkdir -p /data && chown node:node /data
# crdb-cli on the PATH, as on a cluster node: docker exec <container> crdb-cli task list
RUN printf '#!/bin/sh\nexec node /app/dist/crdb-cli/main.js "$@"\n' > /usr/local/bin/crdb-cli && chmod 755 /usr/local/bin/crdb-cli
USER node
EXPOSE 8080 9443
HEALTHCHECK --interval=5s --timeout=3s --start-period=5s --retries=3 CMD ["node", "dist/cli/healthcheck.js"]
STOPSIGNAL SIGTERM
# node is PID 1 and handles SIGTERM itself: it finishes in-flight requests, saves the state, exits 0
ENTRYPOINT ["node", "dist/cli/main.js"]
