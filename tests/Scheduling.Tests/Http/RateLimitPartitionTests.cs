using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Scheduling.Testing;

namespace Scheduling.Tests.Http;

/// <summary>
/// Whose bucket an operation is taken from: a signed-in caller's own (its token subject), on HTTP and on the socket;
/// callers without a token share one per client address, taken from X-Forwarded-For only behind a configured proxy.
/// </summary>
public sealed class RateLimitPartitionTests
{
    private const string Typename = "{ __typename }";

    private static Dictionary<string, string?> Settings(params (string Key, string? Value)[] extra)
    {
        var settings = TestTokens.GatewaySettings();
        settings["Auth:AllowAnonymous"] = "true";
        settings["GraphQL:RateLimitPerSecond"] = "1";
        settings["GraphQL:RateLimitBurst"] = "3";
        foreach (var (key, value) in extra)
        {
            settings[key] = value;
        }

        return settings;
    }

    [Fact]
    public async Task A_token_less_flood_from_one_address_does_not_keep_a_signed_in_caller_out()
    {
        await using var gateway = await GatewayServer.StartAsync(Settings());

        // The flood goes on, from the same address, while the signed-in caller comes in.
        using var stop = new CancellationTokenSource();
        var refused = 0;
        var flood = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                if (await StatusAsync(gateway, forwardedFor: null, token: null) == HttpStatusCode.TooManyRequests)
                {
                    Interlocked.Increment(ref refused);
                }
            }
        });
        while (Volatile.Read(ref refused) == 0)
        {
            await Task.Delay(10);
        }

        try
        {
            // Same address, but signed in: its own bucket, over HTTP and over a new WebSocket (upgrade included).
            var patient = TestTokens.Patient("ned-flanders");
            Assert.Equal(HttpStatusCode.OK, await StatusAsync(gateway, forwardedFor: null, token: patient));
            var socket = await GraphQLTransport.Named(GraphQLTransport.WebSocket).RunAsync(gateway, [new GraphQLOperation(Typename), new GraphQLOperation(Typename)], patient);
            Assert.All(socket, answer => Assert.Equal("Query", answer.At("data.__typename")?.GetValue<string>()));
        }
        finally
        {
            await stop.CancelAsync();
            await flood;
        }

        // The flood itself was held back throughout.
        Assert.True(refused > 10, $"only {refused} of the flood's requests were refused");
    }

    /// <summary>
    /// The test client connects from 127.0.0.1: as a configured proxy its X-Forwarded-For names the client (a second
    /// client has its own bucket); otherwise naming another address does not buy a fresh bucket.
    /// </summary>
    [Theory]
    [InlineData("127.0.0.1", HttpStatusCode.OK)]
    [InlineData("192.0.2.1", HttpStatusCode.TooManyRequests)]
    public async Task X_Forwarded_For_names_the_client_only_from_a_configured_proxy(string knownProxy, HttpStatusCode secondClient)
    {
        await using var gateway = await GatewayServer.StartAsync(Settings(("ForwardedHeaders:KnownProxies:0", knownProxy)));
        for (var i = 0; i < 10; i++)
        {
            await StatusAsync(gateway, forwardedFor: "203.0.113.7", token: null);
        }

        Assert.Equal(HttpStatusCode.TooManyRequests, await StatusAsync(gateway, forwardedFor: "203.0.113.7", token: null));
        Assert.Equal(secondClient, await StatusAsync(gateway, forwardedFor: "203.0.113.8", token: null));
    }

    /// <summary>
    /// With no proxy configured X-Forwarded-For is nobody's word: one anonymous client naming a new address on every
    /// request still draws from one bucket, for GraphQL operations and for <c>/health/ready</c>'s own limiter.
    /// </summary>
    [Fact]
    public async Task Without_a_configured_proxy_X_Forwarded_For_buys_no_fresh_bucket()
    {
        await using var gateway = await GatewayServer.StartAsync(Settings(("Health:ReadyRequestsPerSecond", "1"), ("Health:ReadyBurst", "3")));
        var graphql = new List<HttpStatusCode>();
        var ready = new List<HttpStatusCode>();
        for (var i = 0; i < 10; i++)
        {
            graphql.Add(await StatusAsync(gateway, forwardedFor: $"203.0.113.{i + 1}", token: null));
            ready.Add(await ReadyStatusAsync(gateway, forwardedFor: $"198.51.100.{i + 1}"));
        }

        Assert.Contains(HttpStatusCode.TooManyRequests, graphql);
        Assert.Contains(HttpStatusCode.TooManyRequests, ready);
    }

    private static async Task<HttpStatusCode> ReadyStatusAsync(GatewayServer gateway, string forwardedFor)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/health/ready");
        request.Headers.Add("X-Forwarded-For", forwardedFor);
        using var response = await gateway.Client.SendAsync(request);
        return response.StatusCode;
    }

    private static async Task<HttpStatusCode> StatusAsync(GatewayServer gateway, string? forwardedFor, string? token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/graphql")
        {
            Content = new StringContent("{\"query\":\"" + Typename + "\"}", Encoding.UTF8, "application/json"),
        };
        request.Headers.Accept.ParseAdd("application/graphql-response+json");
        if (forwardedFor is not null)
        {
            request.Headers.Add("X-Forwarded-For", forwardedFor);
        }

        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        using var response = await gateway.Client.SendAsync(request);
        return response.StatusCode;
    }
}
