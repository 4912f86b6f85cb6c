using System.Diagnostics;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Scheduling.Tests.Webhooks;

/// <summary>One request a receiver got: the headers a webhook sends, the raw body, and when it came.</summary>
public sealed record ReceivedWebhook(string? Signature, string? EventId, string? EventType, int Attempt, byte[] Body, TimeSpan At)
{
    public string Text => Encoding.UTF8.GetString(Body);
}

/// <summary>A webhook receiver on real Kestrel at 127.0.0.1: records every request and answers what <c>respond</c> says for its n-th request (from 0).</summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Lock _gate = new();
    private readonly List<ReceivedWebhook> _received = [];

    private WebhookReceiver(WebApplication app) => _app = app;

    public string Url { get; private set; } = string.Empty;

    public IReadOnlyList<ReceivedWebhook> Received
    {
        get
        {
            lock (_gate)
            {
                return [.. _received];
            }
        }
    }

    public static async Task<WebhookReceiver> StartAsync(Func<int, int>? respond = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var app = builder.Build();
        var receiver = new WebhookReceiver(app);
        app.MapPost("/hook", async (HttpContext context) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            int n;
            lock (receiver._gate)
            {
                n = receiver._received.Count;
                receiver._received.Add(new ReceivedWebhook(
                    context.Request.Headers["Scheduling-Signature"].ToString(),
                    context.Request.Headers["Scheduling-Event-Id"].ToString(),
                    context.Request.Headers["Scheduling-Event-Type"].ToString(),
                    int.TryParse(context.Request.Headers["Scheduling-Delivery-Attempt"].ToString(), out var attempt) ? attempt : 0,
                    body.ToArray(),
                    receiver._clock.Elapsed));
            }

            return Results.StatusCode(respond?.Invoke(n) ?? 200);
        });
        await app.StartAsync();
        receiver.Url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/hook";
        return receiver;
    }

    /// <summary>Waits until what was received satisfies <paramref name="done"/>; fails after <paramref name="seconds"/>.</summary>
    public async Task<IReadOnlyList<ReceivedWebhook>> UntilAsync(Func<IReadOnlyList<ReceivedWebhook>, bool> done, int seconds = 20)
    {
        var until = Stopwatch.StartNew();
        while (until.Elapsed < TimeSpan.FromSeconds(seconds))
        {
            var now = Received;
            if (done(now))
            {
                return now;
            }

            await Task.Delay(50);
        }

        Assert.Fail($"The receiver did not get what was expected within {seconds} s; it got: {string.Join(" | ", Received.Select(r => $"{r.EventType} {r.EventId} #{r.Attempt}"))}");
        return [];
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
