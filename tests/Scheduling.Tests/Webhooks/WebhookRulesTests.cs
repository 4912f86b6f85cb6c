using System.Net;
using CsCheck;
using Scheduling.Schema.Common;
using Scheduling.Schema.Subscriptions;
using Scheduling.Schema.Webhooks;

namespace Scheduling.Tests.Webhooks;

/// <summary>The pure rules of webhooks: which URLs are refused, how long retries wait, which event a change is.</summary>
public sealed class WebhookRulesTests
{
    private static readonly WebhookOptions Strict = new();

    [Theory]
    [InlineData("https://127.0.0.1/hook")]
    [InlineData("https://10.1.2.3/hook")]
    [InlineData("https://172.16.0.1/hook")]
    [InlineData("https://172.31.255.255/hook")]
    [InlineData("https://192.168.1.10/hook")]
    [InlineData("https://169.254.169.254/latest/meta-data")]
    [InlineData("https://100.64.0.1/hook")]
    [InlineData("https://0.0.0.0/hook")]
    [InlineData("https://[::1]/hook")]
    [InlineData("https://[fe80::1]/hook")]
    [InlineData("https://[fd00::1]/hook")]
    [InlineData("https://[::ffff:10.0.0.1]/hook")]
    [InlineData("https://[2002:a00:1::1]/hook")]
    [InlineData("https://192.88.99.1/hook")]
    [InlineData("https://localhost/hook")]
    [InlineData("https://api.localhost/hook")]
    [InlineData("https://printer.local/hook")]
    [InlineData("https://intranet/hook")]
    [InlineData("http://receiver.example.com/hook")]
    [InlineData("https://user:pass@receiver.example.com/hook")]
    [InlineData("ftp://receiver.example.com/hook")]
    [InlineData("/relative")]
    public void A_url_that_is_not_public_https_is_refused_by_default(string url)
    {
        var refusal = Assert.Throws<SchedulingException>(() => WebhookUrls.Validate(url, Strict));
        Assert.Equal("url", Assert.IsType<ValidationError>(refusal.Error).Field);
    }

    [Theory]
    [InlineData("https://receiver.example.com/hook")]
    [InlineData("https://93.184.216.34:8443/hook?x=1")]
    [InlineData("https://[2606:4700::1111]/hook")]
    public void A_public_https_url_is_accepted(string url) => Assert.Equal(new Uri(url), WebhookUrls.Validate(url, Strict));

    [Fact]
    public void The_settings_open_http_and_loopback_for_tests()
    {
        var open = new WebhookOptions { AllowHttp = true, AllowPrivateNetworks = true };
        Assert.Equal(new Uri("http://127.0.0.1:5000/hook"), WebhookUrls.Validate("http://127.0.0.1:5000/hook", open));
    }

    [Fact]
    public void Every_address_of_a_private_range_is_not_public()
    {
        // Each range by its first bytes; the rest drawn at random.
        (byte[] Prefix, int Fixed)[] ranges = [([10], 1), ([127], 1), ([169, 254], 2), ([192, 168], 2), ([0], 1), ([172, 16], 2), ([172, 31], 2), ([100, 64], 2), ([100, 127], 2)];
        Gen.Select(Gen.Int[0, ranges.Length - 1], Gen.Byte.Array[4]).Sample((r, random) =>
        {
            var (prefix, count) = ranges[r];
            var bytes = (byte[])random.Clone();
            prefix.CopyTo(bytes, 0);
            return !WebhookUrls.IsPublic(new IPAddress(bytes)) && !WebhookUrls.IsPublic(new IPAddress(bytes).MapToIPv6()) && count > 0;
        });
    }

    [Fact]
    public void Backoff_waits_grow_until_the_cap_and_stay_within_it()
    {
        var baseDelay = TimeSpan.FromMilliseconds(250);
        var cap = TimeSpan.FromSeconds(60);
        Gen.Select(Gen.Int[1, 30], Gen.Double[0, 1], Gen.Double[0, 1]).Sample((attempt, u1, u2) =>
        {
            var now = WebhookBackoff.DelayAfter(attempt, baseDelay, cap, u1);
            var next = WebhookBackoff.DelayAfter(attempt + 1, baseDelay, cap, u2);
            var ceiling = Math.Min(250 * Math.Pow(2, attempt - 1), cap.TotalMilliseconds);
            return now.TotalMilliseconds >= (ceiling / 2) - 1e-6 && now.TotalMilliseconds <= ceiling + 1e-6 &&
                   (ceiling * 2 > cap.TotalMilliseconds || next >= now);
        });
    }

    [Fact]
    public void A_change_is_classified_by_its_status_then_its_time()
    {
        var at = new DateTimeOffset(2030, 1, 7, 14, 0, 0, TimeSpan.Zero);
        AppointmentShape Shape(string status, int hour = 14) => new(status, at.AddHours(hour - 14), at.AddHours(hour - 14).AddMinutes(30));
        Assert.Equal(WebhookEventType.AppointmentBooked, WebhookEvents.Classify(ChangeKind.Created, null, Shape("booked")));
        Assert.Equal(WebhookEventType.AppointmentHeld, WebhookEvents.Classify(ChangeKind.Created, null, Shape("pending")));
        Assert.Equal(WebhookEventType.AppointmentBooked, WebhookEvents.Classify(ChangeKind.Updated, Shape("pending"), Shape("booked")));
        Assert.Equal(WebhookEventType.AppointmentRescheduled, WebhookEvents.Classify(ChangeKind.Updated, Shape("booked"), Shape("booked", 16)));
        Assert.Equal(WebhookEventType.AppointmentCancelled, WebhookEvents.Classify(ChangeKind.Updated, Shape("booked"), Shape("cancelled")));
        Assert.Equal(WebhookEventType.AppointmentCancelled, WebhookEvents.Classify(ChangeKind.Updated, null, Shape("cancelled")));
        Assert.Equal(WebhookEventType.AppointmentUpdated, WebhookEvents.Classify(ChangeKind.Updated, Shape("cancelled"), Shape("cancelled")));
        Assert.Equal(WebhookEventType.AppointmentUpdated, WebhookEvents.Classify(ChangeKind.Updated, Shape("booked"), Shape("checked-in")));
        Assert.Equal(WebhookEventType.AppointmentUpdated, WebhookEvents.Classify(ChangeKind.Updated, null, Shape("booked", 16)));
        Assert.Equal(WebhookEventType.AppointmentDeleted, WebhookEvents.Classify(ChangeKind.Deleted, Shape("booked"), Shape("booked")));
    }
}
