namespace Mediation.Grains.Tests;

public sealed class WebhookSignatureTests
{
    private const string Secret = "whsec-test-1";
    private const string Body = """{"type":"instruction","instructionId":"ins-d-1-1","amount":60.00}""";
    private static readonly DateTimeOffset SentAt = new(2026, 11, 20, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_signed_body_verifies_within_five_minutes()
    {
        var header = WebhookSignature.Sign(Secret, SentAt, Body);
        Assert.Matches("^t=1795168800,v1=[0-9a-f]{64}$", header);
        Assert.Equal(WebhookSignatureCheck.Valid, WebhookSignature.Verify(Secret, header, Body, SentAt));
        Assert.Equal(WebhookSignatureCheck.Valid, WebhookSignature.Verify(Secret, header, Body, SentAt.AddMinutes(4)));
    }

    [Fact]
    public void A_tampered_body_or_another_secret_is_a_bad_signature()
    {
        var header = WebhookSignature.Sign(Secret, SentAt, Body);
        Assert.Equal(WebhookSignatureCheck.BadSignature, WebhookSignature.Verify(Secret, header, Body.Replace("60.00", "600.00"), SentAt));
        Assert.Equal(WebhookSignatureCheck.BadSignature, WebhookSignature.Verify("whsec-other", header, Body, SentAt));
        // The timestamp is signed too: moving it forward to dodge the age check breaks the signature.
        var moved = header.Replace("t=1795168800", "t=1795169400");
        Assert.Equal(WebhookSignatureCheck.BadSignature, WebhookSignature.Verify(Secret, moved, Body, SentAt.AddMinutes(10)));
    }

    [Fact]
    public void A_delivery_older_than_five_minutes_is_too_old()
    {
        var header = WebhookSignature.Sign(Secret, SentAt, Body);
        Assert.Equal(WebhookSignatureCheck.TooOld, WebhookSignature.Verify(Secret, header, Body, SentAt.AddMinutes(5).AddSeconds(1)));
        Assert.Equal(WebhookSignatureCheck.TooOld, WebhookSignature.Verify(Secret, header, Body, SentAt.AddMinutes(-6)));
        Assert.Equal(WebhookSignatureCheck.Valid, WebhookSignature.Verify(Secret, header, Body, SentAt.AddMinutes(9), TimeSpan.FromMinutes(10)));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("v1=00")]
    [InlineData("t=1795168800")]
    [InlineData("t=abc,v1=0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("t=1795168800,v1=zz00000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("t=1795168800,t=1795168800,v1=0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("garbage")]
    public void A_header_without_a_timestamp_and_a_signature_is_malformed(string? header) =>
        Assert.Equal(WebhookSignatureCheck.Malformed, WebhookSignature.Verify(Secret, header, Body, SentAt));

    [Fact]
    public void A_second_signature_during_a_secret_rotation_is_accepted()
    {
        var header = WebhookSignature.Sign(Secret, SentAt, Body);
        var other = WebhookSignature.Sign("whsec-old", SentAt, Body);
        var both = $"{other},{header[(header.IndexOf(',') + 1)..]}";
        Assert.Equal(WebhookSignatureCheck.Valid, WebhookSignature.Verify(Secret, both, Body, SentAt));
    }
}
