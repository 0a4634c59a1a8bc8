using Mediation.Grains.Disputes;

namespace Mediation.Grains.Tests;

/// <summary>What counts as a phone number or an address, and who reads whose, as a table.</summary>
public sealed class DisputePrivacyTests
{
    [Theory]
    [InlineData("call 138 0013 8000 please", "call •••••••••00 please")]
    [InlineData("+86 571-8765-4321", "•••••••••••21")]
    [InlineData("13800138000", "•••••••••00")]
    [InlineData("I live at 88 Nanshan Road, Apt 5.", "I live at (address shown to the parties only).")]
    [InlineData("地址：西湖区南山路88号", "地址：(address shown to the parties only)")]
    // Not personal data: dates, amounts, order numbers, short numbers, ordinary sentences.
    [InlineData("paid 2026-11-20, due by 2026-11-26", "paid 2026-11-20, due by 2026-11-26")]
    [InlineData("a refund of 199.00 CNY for order o-1001", "a refund of 199.00 CNY for order o-1001")]
    [InlineData("2 tins arrived crushed on the road", "2 tins arrived crushed on the road")]
    [InlineData("call 12315", "call 12315")]
    public void Phones_and_addresses_are_masked_and_nothing_else(string text, string shown) =>
        Assert.Equal(shown, PersonalData.Mask(text));

    [Theory]
    // reader, author, state, outcome remedy → revealed
    [InlineData(Role.Consumer, "consumer", DisputeState.Negotiating, null, true)]
    [InlineData(Role.Merchant, "merchant", DisputeState.Negotiating, null, true)]
    [InlineData(Role.Merchant, "consumer", DisputeState.Negotiating, null, false)]
    [InlineData(Role.Consumer, "merchant", DisputeState.Negotiating, null, false)]
    [InlineData(Role.Consumer, "merchant", DisputeState.AwaitingReturn, Remedy.ReturnAndRefund, true)]
    [InlineData(Role.Consumer, "merchant", DisputeState.ReturnShipped, Remedy.ReturnAndRefund, true)]
    [InlineData(Role.Consumer, "merchant", DisputeState.Enforcing, Remedy.ReturnAndRefund, false)]
    [InlineData(Role.Merchant, "consumer", DisputeState.AwaitingReturn, Remedy.ReturnAndRefund, false)]
    [InlineData(Role.Merchant, "consumer", DisputeState.AwaitingReturn, Remedy.Exchange, true)]
    [InlineData(Role.Merchant, "consumer", DisputeState.Enforcing, Remedy.Repair, true)]
    [InlineData(Role.Merchant, "consumer", DisputeState.Enforcing, Remedy.FullRefund, false)]
    [InlineData(Role.Consumer, "mediator", DisputeState.InMediation, null, true)]
    [InlineData(Role.Mediator, "consumer", DisputeState.InMediation, null, false)]
    [InlineData(Role.Mediator, "merchant", DisputeState.InMediation, null, false)]
    [InlineData(Role.Mediator, "mediator", DisputeState.InMediation, null, true)]
    [InlineData(Role.Regulator, "consumer", DisputeState.Closed, Remedy.Exchange, false)]
    public void Who_reads_whose_phone_and_address(Role reader, string author, DisputeState state, Remedy? remedy, bool revealed)
    {
        var record = new DisputeRecord
        {
            State = state,
            Outcome = remedy is { } r ? new DisputeOutcome("settlement", r, 0m, DisputeStateMachine.ReturnsGoods(r), null, null) : null,
        };
        Assert.Equal(revealed, DisputePrivacy.Reveals(record, reader, author));
    }
}
