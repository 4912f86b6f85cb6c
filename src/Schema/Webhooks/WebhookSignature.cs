using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Scheduling.Schema.Webhooks;

/// <summary>
/// How a delivery is signed, Stripe's way: header <c>Scheduling-Signature: t=&lt;unix seconds&gt;,v1=&lt;hex&gt;</c>, where
/// the hex is HMAC-SHA256 keyed with the endpoint's secret (its UTF-8 bytes) over <c>"&lt;t&gt;." + body</c>. A receiver
/// recomputes it over the raw body, compares in constant time and refuses a <c>t</c> too far from its clock (replays).
/// Each endpoint's secret is derived from the gateway's key, so none is stored.
/// </summary>
public static class WebhookSignature
{
    public const string Header = "Scheduling-Signature";
    public const string EventIdHeader = "Scheduling-Event-Id";
    public const string EventTypeHeader = "Scheduling-Event-Type";
    public const string AttemptHeader = "Scheduling-Delivery-Attempt";
    public const string SecretPrefix = "whsec_";

    /// <summary>How far a signature's time may be from the receiver's clock, as the README's recipe checks it.</summary>
    public static readonly TimeSpan DefaultTolerance = TimeSpan.FromMinutes(5);

    /// <summary>An endpoint's secret: HMAC-SHA256(key, "&lt;endpoint id&gt;:&lt;version&gt;") in hex, prefixed; a new version (rotation) gives a new secret.</summary>
    public static string DeriveSecret(string signingKey, string endpointId, int version)
    {
        ArgumentNullException.ThrowIfNull(signingKey);
        ArgumentNullException.ThrowIfNull(endpointId);
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(signingKey), Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{endpointId}:{version}")));
        return SecretPrefix + Convert.ToHexStringLower(mac);
    }

    /// <summary>The header's value for <paramref name="body"/> sent at <paramref name="time"/>.</summary>
    public static string Sign(string secret, DateTimeOffset time, ReadOnlySpan<byte> body)
    {
        var t = time.ToUnixTimeSeconds();
        return string.Create(CultureInfo.InvariantCulture, $"t={t},v1={Convert.ToHexStringLower(Mac(secret, t, body))}");
    }

    /// <summary>
    /// Whether <paramref name="header"/> signs <paramref name="body"/> with <paramref name="secret"/> at a time within
    /// <paramref name="tolerance"/> of <paramref name="now"/>. Several <c>v1=</c> values are allowed (any may match).
    /// </summary>
    public static bool Verify(string secret, string? header, ReadOnlySpan<byte> body, DateTimeOffset now, TimeSpan tolerance)
    {
        if (header is null || !TryParse(header, out var t, out var signatures))
        {
            return false;
        }

        if (Math.Abs(now.ToUnixTimeSeconds() - t) > tolerance.TotalSeconds)
        {
            return false;
        }

        var expected = Mac(secret, t, body);
        var matched = false;
        foreach (var signature in signatures)
        {
            matched |= signature.Length == expected.Length && CryptographicOperations.FixedTimeEquals(signature, expected);
        }

        return matched;
    }

    private static byte[] Mac(string secret, long t, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(secret);
        var prefix = Encoding.UTF8.GetBytes(t.ToString(CultureInfo.InvariantCulture) + ".");
        var signed = new byte[prefix.Length + body.Length];
        prefix.CopyTo(signed, 0);
        body.CopyTo(signed.AsSpan(prefix.Length));
        return HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signed);
    }

    private static bool TryParse(string header, out long t, out List<byte[]> signatures)
    {
        t = 0;
        signatures = [];
        var hasTime = false;
        foreach (var part in header.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                continue;
            }

            var (name, value) = (part[..eq], part[(eq + 1)..]);
            if (name == "t" && long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
            {
                (t, hasTime) = (parsed, true);
            }
            else if (name == "v1" && value.Length == 64)
            {
                try
                {
                    signatures.Add(Convert.FromHexString(value));
                }
                catch (FormatException)
                {
                    // not a signature
                }
            }
        }

        return hasTime && signatures.Count > 0;
    }
}
