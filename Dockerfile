# One image for every piece of the platform; the command picks the piece:
#   node dist/scripts/serve.js <gateway|leads|intelligence|analytics|migrate>

FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
# Source folders one by one, so a local node_modules, .data or dist never enters the image.
# A new top-level source folder must be added here.
COPY lib ./lib
COPY gateway ./gateway
COPY subgraphs ./subgraphs
COPY bridge ./bridge
COPY scripts ./scripts
RUN npm run build && npm prune --omit=dev

FROM node:20-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The gateway reads the checked-in supergraph at start.
COPY schema ./schema
# The compiler emits only .ts: the gateway serves the dashboard's static files from the source tree.
COPY --from=build /app/gateway/src/dashboard/index.html /app/gateway/src/dashboard/dashboard.js /app/gateway/src/dashboard/dashboard.css ./gateway/src/dashboard/
USER node
EXPOSE 4000 4001 4002 4003
CMD ["node", "dist/scripts/serve.js", "gateway"]
