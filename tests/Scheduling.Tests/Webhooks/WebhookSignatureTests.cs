using System.Text;
using CsCheck;
using Scheduling.Schema.Webhooks;

namespace Scheduling.Tests.Webhooks;

/// <summary>The signature a receiver checks: what is signed verifies, and a change to any byte, the time or the secret does not.</summary>
public sealed class WebhookSignatureTests
{
    private static readonly Gen<string> Secrets = Gen.String[Gen.Char.AlphaNumeric, 1, 80].Select(s => WebhookSignature.SecretPrefix + s);
    private static readonly Gen<byte[]> Bodies = Gen.Byte.Array[0, 400];
    private static readonly Gen<DateTimeOffset> Times = Gen.Long[1_000_000_000, 4_000_000_000].Select(DateTimeOffset.FromUnixTimeSeconds);

    [Fact]
    public void What_is_signed_verifies_within_the_tolerance()
    {
        Gen.Select(Secrets, Bodies, Times, Gen.Int[-300, 300]).Sample((secret, body, time, skew) =>
            WebhookSignature.Verify(secret, WebhookSignature.Sign(secret, time, body), body, time.AddSeconds(skew), WebhookSignature.DefaultTolerance));
    }

    [Fact]
    public void Any_tampered_byte_of_the_body_fails()
    {
        Gen.Select(Secrets, Bodies.Where(b => b.Length > 0), Times, Gen.Int.Positive, Gen.Byte[1, 255]).Sample((secret, body, time, at, flip) =>
        {
            var header = WebhookSignature.Sign(secret, time, body);
            var tampered = (byte[])body.Clone();
            tampered[at % tampered.Length] ^= flip;
            return !WebhookSignature.Verify(secret, header, tampered, time, WebhookSignature.DefaultTolerance);
        });
    }

    [Fact]
    public void Any_tampered_character_of_the_header_fails()
    {
        Gen.Select(Secrets, Bodies, Times, Gen.Int.Positive).Sample((secret, body, time, at) =>
        {
            var header = WebhookSignature.Sign(secret, time, body);
            var v1 = header.IndexOf("v1=", StringComparison.Ordinal) + 3;
            var position = v1 + (at % (header.Length - v1));
            var chars = header.ToCharArray();
            chars[position] = chars[position] == '0' ? '1' : '0';
            return !WebhookSignature.Verify(secret, new string(chars), body, time, WebhookSignature.DefaultTolerance);
        });
    }

    [Fact]
    public void A_body_appended_to_or_cut_fails()
    {
        Gen.Select(Secrets, Bodies.Where(b => b.Length > 0), Times).Sample((secret, body, time) =>
        {
            var header = WebhookSignature.Sign(secret, time, body);
            return !WebhookSignature.Verify(secret, header, [.. body, (byte)' '], time, WebhookSignature.DefaultTolerance) &&
                   !WebhookSignature.Verify(secret, header, body.AsSpan(0, body.Length - 1), time, WebhookSignature.DefaultTolerance);
        });
    }

    [Fact]
    public void Another_secret_or_a_time_outside_the_tolerance_fails()
    {
        Gen.Select(Secrets, Secrets, Bodies, Times, Gen.Int[301, 100_000]).Sample((secret, other, body, time, late) =>
        {
            var header = WebhookSignature.Sign(secret, time, body);
            return (other == secret || !WebhookSignature.Verify(other, header, body, time, WebhookSignature.DefaultTolerance)) &&
                   !WebhookSignature.Verify(secret, header, body, time.AddSeconds(late), WebhookSignature.DefaultTolerance) &&
                   !WebhookSignature.Verify(secret, header, body, time.AddSeconds(-late), WebhookSignature.DefaultTolerance);
        });
    }

    [Fact]
    public void A_re_signed_time_with_the_old_signature_fails()
    {
        // A replayer who moves t forward to pass the tolerance check breaks the signature: t is signed.
        var body = Encoding.UTF8.GetBytes("""{"id":"1-0"}""");
        var time = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);
        var header = WebhookSignature.Sign("whsec_x", time, body);
        var moved = header.Replace("t=1800000000", "t=1800000600", StringComparison.Ordinal);
        Assert.False(WebhookSignature.Verify("whsec_x", moved, body, time.AddSeconds(600), WebhookSignature.DefaultTolerance));
        Assert.True(WebhookSignature.Verify("whsec_x", header, body, time, WebhookSignature.DefaultTolerance));
    }

    [Fact]
    public void The_signature_is_the_documented_hmac_over_t_dot_body()
    {
        // The README's recipe, computed independently: hex(HMAC-SHA256(utf8(secret), "<t>." + body)).
        var body = Encoding.UTF8.GetBytes("""{"type":"APPOINTMENT_BOOKED"}""");
        var expected = Convert.ToHexStringLower(System.Security.Cryptography.HMACSHA256.HashData(
            Encoding.UTF8.GetBytes("whsec_abc"), (byte[])[.. Encoding.UTF8.GetBytes("1800000000."), .. body]));
        Assert.Equal("t=1800000000,v1=" + expected, WebhookSignature.Sign("whsec_abc", DateTimeOffset.FromUnixTimeSeconds(1_800_000_000), body));
    }

    [Fact]
    public void Secrets_differ_per_endpoint_per_version_and_per_key()
    {
        Gen.Select(Gen.String[Gen.Char.AlphaNumeric, 1, 40], Gen.String[Gen.Char.AlphaNumeric, 1, 40], Gen.Int[1, 1000]).Sample((a, b, version) =>
        {
            var key = new string('k', 32);
            var secret = WebhookSignature.DeriveSecret(key, a, version);
            return secret == WebhookSignature.DeriveSecret(key, a, version) &&
                   secret != WebhookSignature.DeriveSecret(key, a, version + 1) &&
                   (a == b || secret != WebhookSignature.DeriveSecret(key, b, version)) &&
                   secret != WebhookSignature.DeriveSecret(key + "x", a, version);
        });
    }
}
