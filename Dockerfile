# oma-server: the REST API, SSE streams and harness in one process (port 8787).
# Build: docker build -t openma/main-node:dev .   (or: docker compose up -d --build)
# The same image runs on SQLite (default, data in /data) or Postgres (set DATABASE_URL).

FROM node:22-bookworm-slim AS deps
WORKDIR /app
# better-sqlite3 is a native addon: the toolchain is only needed if no prebuilt binary matches.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

# The server compiled to JavaScript (dist/, tsconfig.build.json): the image runs plain node, no tsx
# loader. The dev dependencies (TypeScript) live in this stage only; no native addon is built here.
FROM node:22-bookworm-slim AS server
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npx tsc -p tsconfig.build.json

# The Console (console/, its own package): built into static files the server serves on its port.
FROM node:22-bookworm-slim AS console
WORKDIR /console
COPY console/package.json console/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY console/index.html console/vite.config.ts console/tsconfig.json ./
COPY console/src ./src
COPY console/public ./public
RUN npm run build

FROM node:22-bookworm-slim
# bash runs the agent's tools; bubblewrap + slirp4netns + iproute2 serve SANDBOX_PROVIDER=bwrap;
# tini forwards SIGTERM so the server's graceful shutdown runs on `docker stop`.
RUN apt-get update \
 && apt-get install -y --no-install-recommends bash ca-certificates tini bubblewrap slirp4netns iproute2 \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8787 \
    DATA_DIR=/data
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json ./
COPY --from=server /app/dist ./dist
COPY --from=console /console/dist ./console/dist
VOLUME ["/data"]
EXPOSE 8787
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:8787/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
ENTRYPOINT ["/usr/bin/tini", "--"]
# The same command as `npm start` (which builds dist/ first; here the server stage did).
CMD ["node", "dist/main.js"]
