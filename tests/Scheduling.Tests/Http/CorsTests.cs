using System.Net;
using Scheduling.Testing;

namespace Scheduling.Tests.Http;

/// <summary>Browser front-ends on other origins are let in only when configured.</summary>
public sealed class CorsTests
{
    [Fact]
    public async Task Only_configured_origins_pass_the_preflight_and_get_CORS_headers()
    {
        await using var gateway = await GatewayServer.StartAsync(new Dictionary<string, string?> { ["Cors:AllowedOrigins:0"] = "https://app.example.org" });

        using var allowed = await PreflightAsync(gateway, "https://app.example.org");
        Assert.Equal(HttpStatusCode.NoContent, allowed.StatusCode);
        Assert.Equal("https://app.example.org", allowed.Headers.GetValues("Access-Control-Allow-Origin").Single());

        using var other = await PreflightAsync(gateway, "https://evil.example.net");
        Assert.False(other.Headers.Contains("Access-Control-Allow-Origin"));

        using var post = new HttpRequestMessage(HttpMethod.Post, "/graphql") { Content = new StringContent("""{"query":"{ __typename }"}""", System.Text.Encoding.UTF8, "application/json") };
        post.Headers.Add("Origin", "https://app.example.org");
        using var response = await gateway.Client.SendAsync(post);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("https://app.example.org", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Contains("Server-Timing", response.Headers.GetValues("Access-Control-Expose-Headers").Single(), StringComparison.Ordinal);
    }

    private static Task<HttpResponseMessage> PreflightAsync(GatewayServer gateway, string origin)
    {
        var request = new HttpRequestMessage(HttpMethod.Options, "/graphql");
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", "POST");
        request.Headers.Add("Access-Control-Request-Headers", "content-type");
        return gateway.Client.SendAsync(request);
    }
}
