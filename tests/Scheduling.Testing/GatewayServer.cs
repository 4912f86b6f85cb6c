using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Scheduling.Gateway;

namespace Scheduling.Testing;

/// <summary>
/// The gateway on real Kestrel at a free loopback port, put together by the same
/// <see cref="GatewayExtensions.AddSchedulingGateway"/> and <see cref="GatewayExtensions.MapSchedulingGateway"/> as Program.cs.
/// </summary>
public sealed class GatewayServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private GatewayServer(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
        Client = new HttpClient { BaseAddress = baseAddress };
    }

    public Uri BaseAddress { get; }

    public Uri GraphQLUrl => new(BaseAddress, "/graphql");

    public HttpClient Client { get; }

    public IServiceProvider Services => _app.Services;

    /// <param name="settings">Configuration on top of appsettings.json.</param>
    /// <param name="services">Replacements after the gateway's own registrations (a clock, an extra booking rule).</param>
    /// <param name="environment">The host environment; Development unless a test is about another.</param>
    public static async Task<GatewayServer> StartAsync(IDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null, string environment = "Development")
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            EnvironmentName = environment,
            ContentRootPath = Path.Combine(RepoPaths.Root, "src", "Gateway"),
        });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }

        builder.AddSchedulingGateway();
        services?.Invoke(builder.Services);
        var app = builder.Build();
        app.MapSchedulingGateway();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new GatewayServer(app, new Uri(address));
    }

    /// <summary>POSTs a query, accepting application/graphql-response+json, and returns the parsed body; a cancelled token closes the request (the client goes away).</summary>
    public Task<JsonObject> QueryAsync(string query, object? variables = null, string? bearerToken = null, CancellationToken cancellationToken = default) =>
        QueryAsync(query, variables, bearerToken, null, cancellationToken);

    /// <param name="headers">More request headers (a test's mark on the request), if any.</param>
    public async Task<JsonObject> QueryAsync(string query, object? variables, string? bearerToken, IReadOnlyDictionary<string, string>? headers, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(query, variables, "application/graphql-response+json", bearerToken, headers, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        return JsonNode.Parse(text)?.AsObject() ?? throw new InvalidOperationException("empty response: " + (int)response.StatusCode);
    }

    public Task<HttpResponseMessage> PostAsync(
        string query, object? variables = null, string accept = "application/graphql-response+json", string? bearerToken = null, CancellationToken cancellationToken = default) =>
        SendAsync(query, variables, accept, bearerToken, null, cancellationToken);

    private async Task<HttpResponseMessage> SendAsync(
        string query, object? variables, string accept, string? bearerToken, IReadOnlyDictionary<string, string>? headers, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/graphql")
        {
            Content = new StringContent(JsonSerializer.Serialize(new { query, variables }), Encoding.UTF8, "application/json"),
        };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(accept));
        if (bearerToken is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearerToken);
        }

        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            request.Headers.Add(name, value);
        }

        return await Client.SendAsync(request, cancellationToken);
    }

    /// <summary>Stops as a host does on SIGTERM (requests in flight finish), then lets go of the client.</summary>
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        Client.Dispose();
    }
}

public static class JsonNodeExtensions
{
    /// <summary>Follows a dotted path ("data.schedule.slots.nodes") through a JSON response.</summary>
    public static JsonNode? At(this JsonNode? node, string path)
    {
        foreach (var part in path.Split('.'))
        {
            node = int.TryParse(part, out var index)
                ? node is JsonArray array && index < array.Count ? array[index] : null
                : node is JsonObject ? node[part] : null;
        }

        return node;
    }
}
