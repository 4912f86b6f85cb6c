using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Scheduling.Gateway.GraphQLHttp;
using Scheduling.Gateway.GraphQLWebSockets;
using Scheduling.Schema;

namespace Scheduling.Gateway;

/// <summary>The one place the gateway is put together; the host and the tests both call these.</summary>
public static partial class GatewayExtensions
{
    public static WebApplicationBuilder AddSchedulingGateway(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSchedulingSchema();
        builder.Services.AddGraphQLHttp();
        builder.Services.AddGraphQLWebSockets();
        builder.Services.AddHealthChecks();
        return builder;
    }

    public static WebApplication MapSchedulingGateway(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var path = app.Configuration["GraphQL:Path"] ?? "/graphql";
        app.UseWebSockets();
        app.MapGraphQLHttp(path);
        app.MapHealthChecks("/health/live");

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
