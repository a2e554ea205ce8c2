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
COPY scripts/bundle.mjs ./scripts/
RUN npm run build

# production dependencies only
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM ${NODE_IMAGE}
# what the image is: this package's version (package.json) and the Redis Software versions it
# answers as (src/emulator/versions.ts, --rs-version); test:docker checks them against the code
ARG VERSION=0.1.0
ARG RS_VERSIONS="7.4 7.8 7.22 8.0"
ARG RS_VERSION_DEFAULT=8.0
LABEL org.opencontainers.image.title="crdb-tasks-emulator" \
      org.opencontainers.image.description="An emulator of the Redis Software (Redis Enterprise) CRDB tasks REST API, with a controllable clock; emulates Redis Software ${RS_VERSIONS} (default ${RS_VERSION_DEFAULT})" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="MIT" \
      crdb-tasks-emulator.redis-software.versions="${RS_VERSIONS}" \
      crdb-tasks-emulator.redis-software.default="${RS_VERSION_DEFAULT}"
# the health probe reads where the server really listens from this file (--port, --tls)
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    EMULATOR_URL_FILE=/tmp/crdb-tasks-emulator.url
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
ENTRYPOINT ["node", "dist/cli/entry.js"]
