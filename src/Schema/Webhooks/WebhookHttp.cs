using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Timeout;

namespace Scheduling.Schema.Webhooks;

/// <summary>What one attempt got: the receiver's status code (null when none came), how long it took, and why it failed.</summary>
public sealed record WebhookResponse(int? StatusCode, TimeSpan Duration, string? Error, bool Refused = false)
{
    public bool Delivered => StatusCode is >= 200 and < 300;

    public bool Gone => StatusCode == (int)HttpStatusCode.Gone;

    /// <summary>
    /// How an attempt ends: a URL the gateway refuses to post to fails at once (another attempt would be refused the
    /// same way), any other failure is tried again until the last attempt.
    /// </summary>
    public WebhookOutcome OutcomeOf(int attempt, int maxAttempts) =>
        Delivered ? WebhookOutcome.Delivered
        : Gone ? WebhookOutcome.Disabled
        : !Refused && attempt < maxAttempts ? WebhookOutcome.Retrying
        : WebhookOutcome.Failed;
}

/// <summary>
/// Posts one signed attempt. Its HttpClient follows no redirect (a redirect could point inward), connects only to
/// public addresses unless <see cref="WebhookOptions.AllowPrivateNetworks"/> (every address the name resolves to is
/// checked at connection time: DNS rebinding gets nowhere), and times out after <see cref="WebhookOptions.TimeoutSeconds"/>
/// (Microsoft.Extensions.Http.Resilience's timeout; retries are the dispatcher's, with backoff, never the client's).
/// </summary>
public sealed class WebhookHttp(IHttpClientFactory clients, IOptions<WebhookOptions> options, TimeProvider time)
{
    public const string ClientName = "webhooks";

    public static void Register(IServiceCollection services)
    {
        services.AddHttpClient(ClientName)
            .ConfigurePrimaryHttpMessageHandler(provider => PrimaryHandler(() => provider.GetRequiredService<IOptions<WebhookOptions>>().Value))
            .AddResilienceHandler("webhook-timeout", (pipeline, context) =>
                pipeline.AddTimeout(TimeSpan.FromSeconds(context.ServiceProvider.GetRequiredService<IOptions<WebhookOptions>>().Value.TimeoutSeconds)));
    }

    /// <summary>
    /// The connection handler: no redirect, no cookies, and no proxy (an HTTPS_PROXY of the environment would make
    /// <see cref="ConnectAsync"/> check the proxy's address instead of the receiver's).
    /// </summary>
    public static SocketsHttpHandler PrimaryHandler(Func<WebhookOptions> options) => new()
    {
        AllowAutoRedirect = false,
        UseCookies = false,
        UseProxy = false,
        PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        ConnectCallback = (context, cancellationToken) => ConnectAsync(context, options(), cancellationToken),
    };

    public async Task<WebhookResponse> SendAsync(Uri url, string secret, WebhookEvent webhookEvent, int attempt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(webhookEvent);
        ArgumentNullException.ThrowIfNull(url);
        try
        {
            // The registration rule, again at every delivery: a Subscription written directly in FHIR with the gateway's
            // tag is no way around it (http, credentials, a literal private address).
            WebhookUrls.Validate(url.AbsoluteUri, options.Value);
        }
        catch (Common.SchedulingException e)
        {
            return new WebhookResponse(null, TimeSpan.Zero, "Not sent: " + e.Error.Message, Refused: true);
        }

        var body = Encoding.UTF8.GetBytes(webhookEvent.Body);
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        request.Headers.TryAddWithoutValidation(WebhookSignature.Header, WebhookSignature.Sign(secret, time.GetUtcNow(), body));
        request.Headers.TryAddWithoutValidation(WebhookSignature.EventIdHeader, webhookEvent.Id);
        request.Headers.TryAddWithoutValidation(WebhookSignature.EventTypeHeader, WebhookEvents.Name(webhookEvent.Type));
        request.Headers.TryAddWithoutValidation(WebhookSignature.AttemptHeader, attempt.ToString(CultureInfo.InvariantCulture));
        request.Headers.UserAgent.Add(new ProductInfoHeaderValue("scheduling-gateway-webhooks", "1"));
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var response = await clients.CreateClient(ClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            var status = (int)response.StatusCode;
            return new WebhookResponse(status, Stopwatch.GetElapsedTime(started), response.IsSuccessStatusCode ? null : $"HTTP {status} {response.ReasonPhrase}".Trim());
        }
        catch (Exception e) when (e is HttpRequestException or TimeoutRejectedException or IOException || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            var reason = e is TimeoutRejectedException or TaskCanceledException ? $"No answer within {options.Value.TimeoutSeconds} s" : e.Message;
            return new WebhookResponse(null, Stopwatch.GetElapsedTime(started), reason);
        }
    }

    /// <summary>Connects to the first public address of the host (any address when private networks are allowed).</summary>
    private static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, WebhookOptions options, CancellationToken cancellationToken)
    {
        var host = context.DnsEndPoint.Host;
        var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, cancellationToken);
        var allowed = addresses.Where(a => options.AllowPrivateNetworks || WebhookUrls.IsPublic(a)).ToList();
        if (allowed.Count == 0)
        {
            throw new HttpRequestException($"{host} resolves to no public address; webhooks are not sent to private networks.");
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync([.. allowed], context.DnsEndPoint.Port, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
