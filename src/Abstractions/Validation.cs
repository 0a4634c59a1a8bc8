using System.Globalization;

namespace Mediation;

/// <summary>Checks of a value's own shape, shared by the edge and the grains. Empty result: the shape is fine.</summary>
public static class Validation
{
    public const int MaxIdLength = 64;
    public const int MaxNameLength = 200;
    public const int MaxItems = 100;
    public const decimal MaxAmount = 10_000_000m;
    public const int MaxQuantity = 1000;
    public const int MaxMessageLength = 2000;
    public const int MaxDescriptionLength = 4000;

    /// <summary>How far ahead of our clock a payment platform's <c>paidAt</c> may be (its clock is not ours).</summary>
    public static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(5);
    public static readonly DateTimeOffset EarliestPaidAt = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>The ISO 4217 currencies the service accepts, with the digits of their minor unit.</summary>
    public static IReadOnlyDictionary<string, int> MinorUnitDigits { get; } = new Dictionary<string, int>(StringComparer.Ordinal)
    {
        ["CNY"] = 2, ["HKD"] = 2, ["MOP"] = 2, ["TWD"] = 2, ["USD"] = 2, ["EUR"] = 2, ["GBP"] = 2, ["SGD"] = 2, ["JPY"] = 0, ["KRW"] = 0,
    };

    /// <summary>Before the order (and so its currency) is known, an amount may have at most this many decimals.</summary>
    public static int MaxMinorUnitDigits { get; } = MinorUnitDigits.Values.Max();

    private const string IdRule = $"must be 1 to 64 letters, digits, '-', '_', '.' or ':'";

    public static bool IsId(string? id) =>
        id is { Length: > 0 and <= MaxIdLength } && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':');

    /// <summary>
    /// Why <paramref name="amount"/> is not a sum of money in a currency whose minor unit has <paramref name="digits"/>
    /// digits, or null. Trailing zeros are not digits that matter: 1.000 is 1.00 (and is stored as 1.00).
    /// </summary>
    public static string? MoneyProblem(decimal amount, int digits, bool positive)
    {
        if (amount < 0) return "must not be negative";
        if (positive && amount == 0) return "must be more than zero";
        if (amount > MaxAmount) return $"must be at most {MaxAmount.ToString(CultureInfo.InvariantCulture)}";
        if (decimal.Round(amount, digits) != amount) return digits == 0 ? "must be a whole number in this currency" : $"must have at most {digits} decimals";
        return null;
    }

    /// <summary>The amount at the currency's minor unit (1.000 becomes 1.00); call once <see cref="MoneyProblem"/> said yes.</summary>
    public static decimal Money(decimal amount, int digits) => decimal.Round(amount, digits) is var rounded && rounded == 0 ? 0m : rounded;

    /// <summary>
    /// Remedies that pay money need an amount above zero; an exchange or a repair may be offered or claimed for 0
    /// because the remedy is the goods, not a payment.
    /// </summary>
    public static bool PaysMoney(this Remedy remedy) => remedy is not (Remedy.Exchange or Remedy.Repair);

    /// <summary>Text without control characters other than newline and tab, trimmed.</summary>
    public static string CleanText(string? text) =>
        text is null ? "" : string.Concat(text.Where(c => !char.IsControl(c) || c is '\n' or '\t')).Trim();

    /// <summary>Whether a person would see something: not only spaces, controls, zero-width or other format characters.</summary>
    public static bool HasVisibleCharacter(string text) => text.Any(c => !char.IsWhiteSpace(c) && CharUnicodeInfo.GetUnicodeCategory(c) is not
        (UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.SpaceSeparator or UnicodeCategory.LineSeparator
            or UnicodeCategory.ParagraphSeparator or UnicodeCategory.OtherNotAssigned));

    /// <summary>Why cleaned <paramref name="text"/> is not acceptable, or null.</summary>
    public static string? TextProblem(string text, int max)
    {
        if (text.Length == 0) return "must not be empty";
        if (!HasVisibleCharacter(text)) return "must contain a visible character";
        if (text.Length > max) return $"is {text.Length} characters; the limit is {max}";
        return null;
    }

    /// <summary>The cleaned text, or a refusal naming <paramref name="what"/> ("the message text must not be empty").</summary>
    public static string RequireText(string? text, int max, string what)
    {
        var cleaned = CleanText(text);
        return TextProblem(cleaned, max) is { } problem ? throw MediationException.Invalid($"the {what} text {problem}") : cleaned;
    }

    /// <summary>The amount at the currency's minor unit, or a refusal naming <paramref name="what"/>.</summary>
    public static decimal RequireMoney(decimal amount, string currency, bool positive, string what)
    {
        var digits = MinorUnitDigits.GetValueOrDefault(currency, 2);
        return MoneyProblem(amount, digits, positive) is { } problem
            ? throw MediationException.Invalid($"{what} {problem}")
            : Money(amount, digits);
    }

    /// <summary>The order as it will be stored: text cleaned, amounts at the currency's minor unit.</summary>
    public static Order Normalized(this Order order)
    {
        var digits = MinorUnitDigits.GetValueOrDefault(order.Currency ?? "", MaxMinorUnitDigits);
        decimal At(decimal amount) => MoneyProblem(amount, digits, positive: false) is null ? Money(amount, digits) : amount;
        return order with
        {
            StoreName = CleanText(order.StoreName),
            City = CleanText(order.City),
            PaymentChannel = CleanText(order.PaymentChannel),
            Total = At(order.Total),
            Items = order.Items?.Select(item => item is null ? item! : item with
            {
                Name = CleanText(item.Name),
                Spec = item.Spec is null ? null : CleanText(item.Spec),
                Price = At(item.Price),
            }).ToList() ?? order.Items!,
        };
    }

    public static OpenDisputeRequest Normalized(this OpenDisputeRequest request) => request with
    {
        Description = CleanText(request.Description),
        ClaimedAmount = MoneyProblem(request.ClaimedAmount, MaxMinorUnitDigits, positive: false) is null
            ? Money(request.ClaimedAmount, MaxMinorUnitDigits) : request.ClaimedAmount,
    };

    /// <summary>What is wrong with a (normalized) order, field by field; <paramref name="now"/> bounds <c>paidAt</c>.</summary>
    public static Dictionary<string, string[]> Problems(this Order order, DateTimeOffset now)
    {
        var problems = new Dictionary<string, string[]>();
        void Add(string field, string message) => problems[field] = [message];
        void Text(string field, string? value, int max)
        {
            if (value is null || TextProblem(value, max) is not { } problem) return;
            Add(field, problem);
        }

        if (!IsId(order.OrderId)) Add("orderId", IdRule);
        if (!IsId(order.ConsumerId)) Add("consumerId", IdRule);
        if (!IsId(order.MerchantId)) Add("merchantId", IdRule);
        Text("storeName", order.StoreName, MaxNameLength);
        Text("city", order.City, MaxNameLength);
        Text("paymentChannel", order.PaymentChannel, MaxNameLength);

        var known = order.Currency is not null && MinorUnitDigits.ContainsKey(order.Currency);
        if (!known) Add("currency", $"must be one of the ISO 4217 codes {string.Join(", ", MinorUnitDigits.Keys)}");
        var digits = known ? MinorUnitDigits[order.Currency!] : MaxMinorUnitDigits;
        if (MoneyProblem(order.Total, digits, positive: true) is { } totalProblem) Add("total", totalProblem);

        if (order.Items is not { Count: > 0 and <= MaxItems }) Add("items", $"must hold 1 to {MaxItems} items");
        else
        {
            var sum = 0m;
            var summable = true;
            for (var i = 0; i < order.Items.Count; i++)
            {
                var item = order.Items[i];
                if (item is null) { Add($"items[{i}]", "must be an item, not null"); summable = false; continue; }
                Text($"items[{i}].name", item.Name, MaxNameLength);
                if (item.Spec is { } spec && spec.Length > MaxNameLength) Add($"items[{i}].spec", $"is {spec.Length} characters; the limit is {MaxNameLength}");
                if (item.Quantity is < 1 or > MaxQuantity) { Add($"items[{i}].quantity", $"must be between 1 and {MaxQuantity}"); summable = false; }
                if (MoneyProblem(item.Price, digits, positive: true) is { } priceProblem) { Add($"items[{i}].price", priceProblem); summable = false; }
                if (summable) sum += item.Quantity * item.Price;
            }
            if (summable && !problems.ContainsKey("total") && sum != order.Total)
                Add("total", $"must equal the items' sum of quantity × price, {sum.ToString(CultureInfo.InvariantCulture)}");
        }

        if (order.PaidAt < EarliestPaidAt) Add("paidAt", $"must be the time the order was paid, not before {EarliestPaidAt:yyyy-MM-dd}");
        else if (order.PaidAt > now + ClockSkew) Add("paidAt", "must not be in the future");
        return problems;
    }

    public static Dictionary<string, string[]> Problems(this OpenDisputeRequest request)
    {
        var problems = new Dictionary<string, string[]>();
        if (!IsId(request.OrderId)) problems["orderId"] = [IdRule];
        if (!Enum.IsDefined(request.Category)) problems["category"] = ["unknown category"];
        if (!Enum.IsDefined(request.RequestedRemedy)) problems["requestedRemedy"] = ["unknown remedy"];
        else if (MoneyProblem(request.ClaimedAmount, MaxMinorUnitDigits, positive: request.RequestedRemedy.PaysMoney()) is { } money)
            problems["claimedAmount"] = [money];
        if (TextProblem(request.Description ?? "", MaxDescriptionLength) is { } text) problems["description"] = [text];
        return problems;
    }
}
