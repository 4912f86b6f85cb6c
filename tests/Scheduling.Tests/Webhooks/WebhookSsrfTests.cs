using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Scheduling.Schema.Webhooks;

namespace Scheduling.Tests.Webhooks;

/// <summary>
/// Server-side request forgery at delivery, not only at registration: the URL rule holds for whatever URL a webhook's
/// Subscription carries (one written directly in FHIR too), and no proxy stands between the address check and the
/// receiver.
/// </summary>
public sealed class WebhookSsrfTests
{
    private static readonly WebhookEvent Event = new("1700000000000-0", WebhookEventType.AppointmentBooked, "{\"id\":\"1700000000000-0\"}");

    [Fact]
    public async Task Deliveries_bypass_any_proxy_so_the_address_checked_is_the_receivers()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var proxy = await WebhookReceiver.StartAsync();
        var options = new WebhookOptions { AllowHttp = true, AllowPrivateNetworks = true };
        using var handler = WebhookHttp.PrimaryHandler(() => options);
        // What HTTPS_PROXY / HTTP_PROXY in the environment would give the handler.
        handler.Proxy = new WebProxy(new Uri(proxy.Url).GetLeftPart(UriPartial.Authority));
        using var client = new HttpClient(handler);
        using var content = new StringContent("{}");
        using var response = await client.PostAsync(new Uri(receiver.Url), content);

        Assert.Single(receiver.Received);
        Assert.Empty(proxy.Received);
    }

    [Theory]
    [InlineData(false, false, true)] // http where only https is allowed
    [InlineData(true, true, false)] // credentials in the URL
    [InlineData(true, false, false)] // the control: allowed, delivered
    public async Task A_url_the_registration_rule_refuses_is_never_posted_to(bool allowHttp, bool credentials, bool refused)
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var services = new ServiceCollection().AddLogging();
        services.AddOptions<WebhookOptions>().Configure(o => { o.AllowHttp = allowHttp; o.AllowPrivateNetworks = true; });
        services.AddSingleton(TimeProvider.System);
        WebhookHttp.Register(services);
        services.AddSingleton<WebhookHttp>();
        await using var provider = services.BuildServiceProvider();
        var url = new UriBuilder(receiver.Url) { UserName = credentials ? "user" : string.Empty, Password = credentials ? "secret" : string.Empty }.Uri;

        var response = await provider.GetRequiredService<WebhookHttp>().SendAsync(url, "secret-of-32-bytes-at-the-least!", Event, 1, CancellationToken.None);

        Assert.Equal(refused || credentials ? 0 : 1, receiver.Received.Count);
        Assert.Equal(!(refused || credentials), response.Delivered);
        // Refused: failed at its first attempt, not tried again until the last (each try would be refused alike).
        Assert.Equal(refused || credentials ? WebhookOutcome.Failed : WebhookOutcome.Delivered, response.OutcomeOf(1, 5));
    }

    [Theory]
    [InlineData(500, 1, WebhookOutcome.Retrying)]
    [InlineData(500, 5, WebhookOutcome.Failed)]
    [InlineData(null, 1, WebhookOutcome.Retrying)] // not reached (a timeout, a reset)
    [InlineData(410, 1, WebhookOutcome.Disabled)]
    [InlineData(204, 3, WebhookOutcome.Delivered)]
    public void Other_failures_are_tried_again_until_the_last_attempt(int? status, int attempt, WebhookOutcome expected) =>
        Assert.Equal(expected, new WebhookResponse(status, TimeSpan.Zero, null).OutcomeOf(attempt, 5));
}
