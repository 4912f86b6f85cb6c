using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Scheduling.Gateway.Authentication;
using Scheduling.Gateway.Cors;
using Scheduling.Gateway.GraphQLHttp;
using Scheduling.Gateway.Health;
using Scheduling.Gateway.Ide;
using Scheduling.Gateway.PersistedDocuments;
using Scheduling.Gateway.RestHook;
using Scheduling.Gateway.GraphQLSse;
using Scheduling.Gateway.GraphQLWebSockets;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Microsoft.Extensions.Options;
using Scheduling.Gateway.Execution;
using Scheduling.Schema;
using Scheduling.Schema.Execution;
using Scheduling.Schema.Telemetry;

namespace Scheduling.Gateway;

/// <summary>The one place the gateway is put together; the host and the tests both call these.</summary>
public static partial class GatewayExtensions
{
    public static WebApplicationBuilder AddSchedulingGateway(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSchedulingSchema(builder.Configuration);
        builder.Services.AddGatewayAuthentication(builder.Configuration);
        builder.Services.AddGraphQLHttp();
        builder.Services.AddPersistedDocuments();
        builder.Services.AddBananaCakePop();
        builder.Services.AddGraphQLWebSockets();
        builder.Services.AddGraphQLSse();
        builder.Services.AddGraphQLExecutionPipeline();

        // Browser front-ends on other origins: only those listed in Cors:AllowedOrigins (none by default), over HTTP and WebSocket.
        builder.Services.AddGatewayCors();
        builder.Services.AddReadiness();

        // Traces and metrics: our spans and instruments plus ASP.NET Core's; exported over OTLP when
        // OTEL_EXPORTER_OTLP_ENDPOINT is set (the OpenTelemetry standard variable).
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("scheduling-gateway"))
            .WithTracing(tracing => tracing.AddSource(GatewayTelemetry.Name).AddAspNetCoreInstrumentation())
            .WithMetrics(metrics => metrics.AddMeter(GatewayTelemetry.Name).AddAspNetCoreInstrumentation());
        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            telemetry.UseOtlpExporter();
        }
        return builder;
    }

    public static WebApplication MapSchedulingGateway(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var path = app.Services.GetRequiredService<IOptions<GraphQLOptions>>().Value.Path;
        // The client's address from X-Forwarded-For, only where the connection comes from a configured proxy.
        app.UseForwardedHeaders();
        // Whatever escapes (a bug), the client gets a coded GraphQL error and nothing of the internals.
        app.UseExceptionHandler(failed => failed.Run(async context =>
        {
            context.Response.StatusCode = StatusCodes.Status500InternalServerError;
            context.Response.ContentType = "application/json; charset=utf-8";
            await context.Response.WriteAsync("{\"errors\":[{\"message\":\"The gateway failed to answer this request.\",\"extensions\":{\"code\":\"INTERNAL_ERROR\"}}]}");
        }));
        app.UseCors();
        app.UseAuthentication();
        app.UseWebSockets();
        app.UseRateLimiter(); // /health/ready's own limit; GraphQL operations are limited in the execution pipeline
        app.UseBananaCakePop(path);
        app.MapGraphQLHttp(path);
        app.MapFhirRestHook();
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = check => check.Tags.Contains("ready") })
            .RequireRateLimiting(ReadinessExtensions.RateLimitPolicy);

        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
            foreach (var address in addresses)
            {
                var url = address.TrimEnd('/') + path;
                LogEndpoint(app.Logger, url);
            }
        });
        return app;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "GraphQL endpoint: {Url}")]
    private static partial void LogEndpoint(ILogger logger, string url);
}
