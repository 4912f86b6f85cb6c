using System.Net;
using System.Net.Sockets;
using Scheduling.Schema.Common;

namespace Scheduling.Schema.Webhooks;

/// <summary>
/// Which endpoints the gateway posts to (against server-side request forgery): https only, no credentials in the URL,
/// and no address that is not public (loopback, private, link-local, carrier-grade NAT, multicast, unspecified, and
/// their IPv6 forms), checked on the URL at registration and on every address the name resolves to at each
/// connection (<see cref="WebhookHttp"/>), so a name that later resolves inward is refused too. Settings open both
/// for tests and development (<see cref="WebhookOptions.AllowHttp"/>, <see cref="WebhookOptions.AllowPrivateNetworks"/>).
/// </summary>
public static class WebhookUrls
{
    public const int MaxLength = 2000;

    /// <summary>The endpoint's URL, or a ValidationError on field <c>url</c> saying why not.</summary>
    public static Uri Validate(string? url, WebhookOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(url) || url.Length > MaxLength || !Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            throw Refused("The url must be an absolute URL.");
        }

        if (uri.Scheme != Uri.UriSchemeHttps && !(options.AllowHttp && uri.Scheme == Uri.UriSchemeHttp))
        {
            throw Refused(options.AllowHttp ? "The url must be http or https." : "The url must be https.");
        }

        if (!string.IsNullOrEmpty(uri.UserInfo) || !string.IsNullOrEmpty(uri.Fragment))
        {
            throw Refused("The url must not carry credentials or a fragment.");
        }

        if (!options.AllowPrivateNetworks && !IsPublicHost(uri))
        {
            throw Refused("The url must point to a public address (not loopback, private, link-local or local names).");
        }

        return uri;
    }

    /// <summary>A host name or literal address that may be public (names are checked again when they resolve).</summary>
    public static bool IsPublicHost(Uri uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        if (IPAddress.TryParse(uri.IdnHost.Trim('[', ']'), out var address))
        {
            return IsPublic(address);
        }

        var host = uri.IdnHost.TrimEnd('.').ToUpperInvariant();
        return host.Contains('.', StringComparison.Ordinal) &&
               !host.EndsWith(".LOCALHOST", StringComparison.Ordinal) && !host.EndsWith(".LOCAL", StringComparison.Ordinal) &&
               !host.EndsWith(".INTERNAL", StringComparison.Ordinal) && !host.EndsWith(".HOME.ARPA", StringComparison.Ordinal);
    }

    /// <summary>Whether an address is on the public internet (IPv4-mapped IPv6 addresses are judged as their IPv4).</summary>
    public static bool IsPublic(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return !(b[0] == 0 || b[0] == 10 || b[0] == 127 || b[0] >= 224 ||
                     (b[0] == 100 && b[1] >= 64 && b[1] < 128) || // carrier-grade NAT
                     (b[0] == 169 && b[1] == 254) ||
                     (b[0] == 172 && b[1] >= 16 && b[1] < 32) ||
                     (b[0] == 192 && b[1] == 168) ||
                     (b[0] == 192 && b[1] == 88 && b[2] == 99) || // 6to4 relay anycast
                     (b[0] == 192 && b[1] == 0 && b[2] is 0 or 2) ||
                     (b[0] == 198 && b[1] is 18 or 19) ||
                     (b[0] == 198 && b[1] == 51 && b[2] == 100) ||
                     (b[0] == 203 && b[1] == 0 && b[2] == 113));
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return false;
        }

        var bytes = address.GetAddressBytes();
        return !(IPAddress.IsLoopback(address) || address.Equals(IPAddress.IPv6None) || address.IsIPv6LinkLocal || address.IsIPv6SiteLocal ||
                 address.IsIPv6Multicast || address.IsIPv6UniqueLocal || address.IsIPv6Teredo ||
                 (bytes[0] == 0x20 && bytes[1] == 0x01 && bytes[2] == 0x0d && bytes[3] == 0xb8) || // documentation
                 (bytes[0] == 0x00 && bytes[1] == 0x64 && bytes[2] == 0xff && bytes[3] == 0x9b) || // NAT64 (embeds an IPv4)
                 (bytes[0] == 0x20 && bytes[1] == 0x02) || // 6to4 (embeds an IPv4)
                 bytes.Take(12).All(x => x == 0)); // unspecified, ::1 and IPv4-compatible
    }

    private static SchedulingException Refused(string message) => new(new ValidationError(message, "url"));
}
