using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Mediation;

/// <summary>What a receiver learns from checking a webhook's <c>Mediation-Signature</c> header.</summary>
public enum WebhookSignatureCheck
{
    Valid,
    /// <summary>The header is missing, or has no <c>t=</c> or no <c>v1=</c>, or they are not numbers and hex.</summary>
    Malformed,
    /// <summary>No <c>v1</c> signature matches the body and timestamp under the secret: tampered, or another secret.</summary>
    BadSignature,
    /// <summary>The signature is right but the timestamp is outside the tolerance (a replay, or a clock far off).</summary>
    TooOld,
}

/// <summary>
/// The signature of an outgoing webhook, as the receiver checks it: header
/// <c>Mediation-Signature: t=&lt;unix seconds&gt;,v1=&lt;hex HMAC-SHA256 of "{t}.{body}"&gt;</c>. Signing the timestamp
/// with the body lets the receiver refuse a replayed old delivery as well as a forged one.
/// </summary>
public static class WebhookSignature
{
    public const string HeaderName = "Mediation-Signature";
    public const string IdempotencyHeaderName = "Idempotency-Key";
    public static readonly TimeSpan DefaultTolerance = TimeSpan.FromMinutes(5);

    /// <summary>The header value for <paramref name="body"/> sent at <paramref name="timestamp"/>.</summary>
    public static string Sign(string secret, DateTimeOffset timestamp, string body)
    {
        var t = timestamp.ToUnixTimeSeconds();
        return $"t={t.ToString(CultureInfo.InvariantCulture)},v1={Hex(Mac(secret, t, body))}";
    }

    /// <summary>
    /// Checks <paramref name="header"/> against <paramref name="body"/>. Several <c>v1</c> values are allowed (a secret
    /// being rotated); the comparison takes the same time whatever matches.
    /// </summary>
    public static WebhookSignatureCheck Verify(string secret, string? header, string body, DateTimeOffset now, TimeSpan? tolerance = null)
    {
        if (string.IsNullOrEmpty(header)) return WebhookSignatureCheck.Malformed;
        long? timestamp = null;
        var signatures = new List<byte[]>();
        foreach (var part in header.Split(','))
        {
            var eq = part.IndexOf('=');
            if (eq <= 0) return WebhookSignatureCheck.Malformed;
            var (key, value) = (part[..eq].Trim(), part[(eq + 1)..].Trim());
            if (key == "t")
            {
                if (timestamp is not null || !long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var t))
                    return WebhookSignatureCheck.Malformed;
                timestamp = t;
            }
            else if (key == "v1")
            {
                if (value.Length != 64) return WebhookSignatureCheck.Malformed;
                try { signatures.Add(Convert.FromHexString(value)); }
                catch (FormatException) { return WebhookSignatureCheck.Malformed; }
            }
        }
        if (timestamp is not { } sentAt || signatures.Count == 0) return WebhookSignatureCheck.Malformed;

        var expected = Mac(secret, sentAt, body);
        var matches = false;
        foreach (var signature in signatures) matches |= CryptographicOperations.FixedTimeEquals(signature, expected);
        if (!matches) return WebhookSignatureCheck.BadSignature;

        var age = now - DateTimeOffset.FromUnixTimeSeconds(sentAt);
        var limit = tolerance ?? DefaultTolerance;
        return age > limit || age < -limit ? WebhookSignatureCheck.TooOld : WebhookSignatureCheck.Valid;
    }

    private static byte[] Mac(string secret, long timestamp, string body) =>
        HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret),
            Encoding.UTF8.GetBytes(timestamp.ToString(CultureInfo.InvariantCulture) + "." + body));

    private static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);
}
