using System.Globalization;
using System.Text;
using static System.Net.WebUtility;

namespace Mediation.Api.Apis;

/// <summary>The case file as a printable page: what a party takes to court. Everything shown is HTML-encoded.</summary>
public static class CaseFilePage
{
    public static string Render(CaseFile file)
    {
        var d = file.Dispute;
        var html = new StringBuilder();
        html.Append("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Case file ").Append(HtmlEncode(d.DisputeId)).Append("</title>")
            .Append("<style>body{font:14px/1.4 system-ui,sans-serif;margin:2em;max-width:60em}table{border-collapse:collapse;width:100%;margin:.5em 0 1.5em}")
            .Append("th,td{border:1px solid #999;padding:.25em .5em;text-align:left;vertical-align:top}h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.5em}")
            .Append("code{font-size:12px;word-break:break-all}@media print{a{color:inherit}}</style></head><body>");
        html.Append("<h1>Case file — dispute ").Append(HtmlEncode(d.DisputeId)).Append("</h1>");
        Table(html, "Dispute",
            ("State", d.State.ToString()), ("Opened", Time(d.OpenedAt)), ("Category", d.Category.ToString()),
            ("Requested remedy", $"{d.RequestedRemedy} {Money(d.ClaimedAmount, d.Order.Currency)}"), ("Description", d.Description),
            ("Consumer", d.ConsumerId), ("Merchant", $"{d.MerchantId} ({d.Order.StoreName})"), ("Mediator", file.MediatorId ?? "—"));
        Table(html, "Order",
            ("Order", d.Order.OrderId), ("City", d.Order.City), ("Paid", $"{Time(d.Order.PaidAt)} via {d.Order.PaymentChannel}"),
            ("Total", Money(d.Order.Total, d.Order.Currency)), ("Guaranteed trade", d.Order.Guaranteed ? "yes" : "no"),
            ("Items", string.Join("; ", d.Order.Items.Select(i => $"{i.Quantity} × {i.Name}{(i.Spec is null ? "" : $" ({i.Spec})")} at {Money(i.Price, d.Order.Currency)}"))));

        html.Append("<h2>Timeline</h2><table><tr><th>Seq</th><th>At</th><th>Who</th><th>What</th></tr>");
        foreach (var e in file.Timeline)
            html.Append("<tr><td>").Append(e.Seq).Append("</td><td>").Append(Time(e.At)).Append("</td><td>")
                .Append(HtmlEncode($"{e.AuthorRole} {e.AuthorId}")).Append("</td><td>").Append(HtmlEncode(Describe(e, d.Order.Currency))).Append("</td></tr>");
        html.Append("</table>");

        html.Append("<h2>Evidence</h2>");
        if (file.Evidence.Count == 0) html.Append("<p>None.</p>");
        else
        {
            html.Append("<table><tr><th>Id</th><th>Kind</th><th>Size</th><th>SHA-256</th><th>Uploaded by</th></tr>");
            foreach (var x in file.Evidence)
                html.Append("<tr><td>").Append(HtmlEncode(x.EvidenceId)).Append("</td><td>").Append(x.Kind).Append("</td><td>")
                    .Append(x.Size.ToString("N0", CultureInfo.InvariantCulture)).Append(" bytes</td><td><code>").Append(HtmlEncode(x.Sha256))
                    .Append("</code></td><td>").Append(HtmlEncode($"{x.UploaderRole} {x.UploaderId}")).Append("</td></tr>");
            html.Append("</table>");
        }

        if (file.Ruling is { } r)
            Table(html, "Ruling",
                ("Ruled", Time(r.At)), ("Mediator", r.AuthorId), ("Category", r.Category?.ToString() ?? ""), ("Responsibility", r.Responsibility?.ToString() ?? ""),
                ("Remedy", $"{r.Remedy} {Money(r.Amount ?? 0, d.Order.Currency)}"), ("Goods returned first", r.ReturnFirst == true ? "yes" : "no"), ("Reasons", r.Text ?? ""));

        foreach (var i in file.Instructions)
            Table(html, $"Instruction {i.Instruction.InstructionId}",
                ("Remedy", $"{i.Instruction.Remedy} {Money(i.Instruction.Amount, i.Instruction.Currency)}"), ("Issued", Time(i.Instruction.IssuedAt)),
                ("Due by", Time(i.Instruction.DueBy)), ("Delivered to the platform", i.Delivered ? "yes" : $"not yet ({i.DeliveryAttempts} attempts)"),
                ("Outcome", i.Outcome is null ? "not reported" : $"{i.Outcome}{(i.Reason is null ? "" : $": {i.Reason}")}"));

        if (file.Ledger is { Entries.Count: > 0 } ledger)
        {
            html.Append("<h2>Ledger</h2><table><tr><th>At</th><th>Entry</th><th>Postings</th></tr>");
            foreach (var entry in ledger.Entries)
                html.Append("<tr><td>").Append(Time(entry.At)).Append("</td><td>").Append(HtmlEncode($"{entry.Kind}: {entry.Description}")).Append("</td><td>")
                    .Append(HtmlEncode(string.Join("; ", entry.Postings.Select(p => $"{p.Account} {p.Amount.ToString(CultureInfo.InvariantCulture)}")))).Append("</td></tr>");
            html.Append("</table><p>Balanced: ").Append(ledger.Balanced ? "yes" : "NO").Append("</p>");
        }

        if (file.MerchantStanding is { } s)
            Table(html, "Merchant standing",
                ("Verified", s.Verified ? "yes" : "no"), ("Score", $"{s.Score} / 100{(s.Flagged ? " (flagged)" : "")}"),
                ("Settled by the parties", s.ResolutionRateByParties is { } rate ? rate.ToString("P0", CultureInfo.InvariantCulture) : "—"),
                ("Rulings against", s.RulingsAgainst.ToString(CultureInfo.InvariantCulture)), ("Unpaid claims", s.UnpaidClaims.ToString(CultureInfo.InvariantCulture)));

        html.Append("</body></html>");
        return html.ToString();
    }

    private static void Table(StringBuilder html, string title, params (string Name, string Value)[] rows)
    {
        html.Append("<h2>").Append(HtmlEncode(title)).Append("</h2><table>");
        foreach (var (name, value) in rows)
            html.Append("<tr><th>").Append(HtmlEncode(name)).Append("</th><td>").Append(HtmlEncode(value)).Append("</td></tr>");
        html.Append("</table>");
    }

    private static string Describe(DisputeEvent e, string currency)
    {
        var parts = new List<string> { e.Type.ToString() };
        if (e.State is { } state) parts.Add($"→ {state}");
        if (e.Remedy is { } remedy) parts.Add($"{remedy} {Money(e.Amount ?? 0, currency)}");
        if (e.Evidence is { } x) parts.Add($"{x.Kind} {x.EvidenceId} sha256 {x.Sha256}");
        if (e.EvidenceList is { } list) parts.Add($"{list.Count} pieces frozen");
        if (e.MediatorId is { } m) parts.Add($"mediator {m}");
        if (e.RequestedOf is { } of) parts.Add($"of the {of}");
        if (e.DueBy is { } due) parts.Add($"due by {Time(due)}");
        if (e.InstructionId is { } i) parts.Add($"instruction {i}");
        if (e.Carrier is { } carrier) parts.Add($"{carrier} {e.TrackingNumber}");
        if (e.Condition is { } condition) parts.Add(condition.ToString());
        if (e.Rating is { } rating) parts.Add($"{rating}/5");
        if (e.Text is { } text) parts.Add($"“{text}”");
        if (e.Reason is { } reason) parts.Add($"({reason})");
        return string.Join(" ", parts);
    }

    private static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);

    private static string Money(decimal amount, string currency) => $"{amount.ToString(CultureInfo.InvariantCulture)} {currency}";
}
