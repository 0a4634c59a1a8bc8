namespace Mediation;

/// <summary>Checks of a value's own shape, shared by the edge and the grains. Empty result: the shape is fine.</summary>
public static class Validation
{
    public const int MaxIdLength = 64;
    public const int MaxNameLength = 200;
    public const int MaxItems = 100;
    public const decimal MaxAmount = 10_000_000m;
    public const int MaxMessageLength = 2000;
    public const int MaxDescriptionLength = 4000;

    public static bool IsId(string? id) =>
        id is { Length: > 0 and <= MaxIdLength } && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':');

    public static bool IsMoney(decimal amount) => amount >= 0 && amount <= MaxAmount && decimal.Round(amount, 2) == amount;

    public static Dictionary<string, string[]> Problems(this Order order)
    {
        var problems = new Dictionary<string, string[]>();
        void Add(string field, string message) => problems[field] = [message];

        if (!IsId(order.OrderId)) Add("orderId", $"must be 1 to {MaxIdLength} letters, digits, '-', '_', '.' or ':'");
        if (!IsId(order.ConsumerId)) Add("consumerId", $"must be 1 to {MaxIdLength} letters, digits, '-', '_', '.' or ':'");
        if (!IsId(order.MerchantId)) Add("merchantId", $"must be 1 to {MaxIdLength} letters, digits, '-', '_', '.' or ':'");
        if (string.IsNullOrWhiteSpace(order.StoreName) || order.StoreName.Length > MaxNameLength) Add("storeName", $"must be 1 to {MaxNameLength} characters");
        if (string.IsNullOrWhiteSpace(order.City) || order.City.Length > MaxNameLength) Add("city", $"must be 1 to {MaxNameLength} characters");
        if (order.Currency is not { Length: 3 } || !order.Currency.All(char.IsAsciiLetterUpper)) Add("currency", "must be an ISO 4217 code such as CNY");
        if (string.IsNullOrWhiteSpace(order.PaymentChannel) || order.PaymentChannel.Length > MaxNameLength) Add("paymentChannel", $"must be 1 to {MaxNameLength} characters");
        if (!IsMoney(order.Total) || order.Total == 0) Add("total", $"must be positive, at most {MaxAmount}, with at most two decimals");
        if (order.Items is not { Count: > 0 and <= MaxItems }) Add("items", $"must hold 1 to {MaxItems} items");
        else
        {
            for (var i = 0; i < order.Items.Count; i++)
            {
                var item = order.Items[i];
                if (item is null) { Add($"items[{i}]", "must not be null"); continue; }
                if (string.IsNullOrWhiteSpace(item.Name) || item.Name.Length > MaxNameLength) Add($"items[{i}].name", $"must be 1 to {MaxNameLength} characters");
                if (item.Spec is { Length: > MaxNameLength }) Add($"items[{i}].spec", $"must be at most {MaxNameLength} characters");
                if (item.Quantity is < 1 or > 100_000) Add($"items[{i}].quantity", "must be between 1 and 100000");
                if (!IsMoney(item.Price)) Add($"items[{i}].price", $"must be between 0 and {MaxAmount} with at most two decimals");
            }
        }
        if (order.PaidAt == default) Add("paidAt", "must be the time the order was paid");
        return problems;
    }

    public static Dictionary<string, string[]> Problems(this OpenDisputeRequest request)
    {
        var problems = new Dictionary<string, string[]>();
        if (!IsId(request.OrderId)) problems["orderId"] = [$"must be 1 to {MaxIdLength} letters, digits, '-', '_', '.' or ':'"];
        if (!Enum.IsDefined(request.Category)) problems["category"] = ["unknown category"];
        if (!Enum.IsDefined(request.RequestedRemedy)) problems["requestedRemedy"] = ["unknown remedy"];
        if (!IsMoney(request.ClaimedAmount)) problems["claimedAmount"] = ["must not be negative and have at most two decimals"];
        if (string.IsNullOrWhiteSpace(request.Description)) problems["description"] = ["must describe the problem"];
        else if (request.Description.Length > MaxDescriptionLength) problems["description"] = [$"is {request.Description.Length} characters; the limit is {MaxDescriptionLength}"];
        return problems;
    }
}
