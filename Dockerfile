# Multi-stage build of the gateway; the runtime image runs as the non-root "app" user of the .NET images.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
# npm for the build's install of the Banana Cake Pop IDE (src/Gateway/ide-assets); published with the gateway.
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY .editorconfig Directory.Build.props Directory.Packages.props Scheduling.sln ./
COPY src/ src/
RUN dotnet publish src/Gateway/Scheduling.Gateway.csproj -c Release -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0
# curl for the container health check (the runtime image ships neither curl nor wget).
RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app ./
# Listens on 8080 on every interface; ASPNETCORE_URLS or ASPNETCORE_HTTP_PORTS at `docker run` override it.
ENV ASPNETCORE_HTTP_PORTS=8080
EXPOSE 8080
USER $APP_UID
ENTRYPOINT ["dotnet", "Scheduling.Gateway.dll"]
