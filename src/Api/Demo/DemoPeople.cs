namespace Mediation.Api.Demo;

/// <summary>One person of the demo: who to sign in as, and what they have.</summary>
public sealed record DemoPerson(string UserId, Role Role, string Name, string? City = null, string? Store = null,
    IReadOnlyList<string>? Orders = null);

public sealed record DemoStore(string MerchantId, string StoreName, string City, string ReturnAddress);

/// <summary>The demo's people, stores, cities and orders: the same list seeds the data and fills the sign-in page.</summary>
public static class DemoPeople
{
    public static readonly IReadOnlyList<DemoStore> Stores =
    [
        new("m-lakeside-tea", "Lakeside Tea House", "Hangzhou", "18 Longjing Road, Xihu District, Hangzhou"),
        new("m-westlake-silk", "West Lake Silk", "Hangzhou", "5 Hefang Street, Shangcheng District, Hangzhou"),
        new("m-bund-electronics", "Bund Electronics", "Shanghai", "200 Nanjing East Road, Huangpu District, Shanghai"),
        new("m-jingan-bakery", "Jing'an Bakery", "Shanghai", "77 Yuyuan Road, Jing'an District, Shanghai"),
    ];

    /// <summary>Each city's mediators (configuration <c>Mediation:Cities:{city}:Mediators</c> while the demo is on).</summary>
    public static readonly IReadOnlyDictionary<string, string[]> Mediators = new Dictionary<string, string[]>
    {
        ["Hangzhou"] = ["med-zhou", "med-wang"],
        ["Shanghai"] = ["med-chen"],
    };

    public static readonly IReadOnlyList<DemoOrder> Orders =
    [
        new("o-demo-1001", "c-li", "m-lakeside-tea", [new("Longjing tea", "250 g tin", 2, 99.50m)], 2),
        new("o-demo-1002", "c-li", "m-bund-electronics", [new("Wireless earbuds", "white", 1, 459.00m)], 3),
        new("o-demo-1003", "c-li", "m-jingan-bakery", [new("Mooncake gift box", "8 pieces", 1, 168.00m)], 1),
        new("o-demo-1004", "c-li", "m-westlake-silk", [new("Silk qipao", "size M, red", 1, 680.00m)], 9),
        new("o-demo-2001", "c-zhang", "m-westlake-silk", [new("Silk scarf", "90 × 90 cm, blue", 1, 320.00m)], 4),
        new("o-demo-2002", "c-zhang", "m-lakeside-tea", [new("Biluochun tea", "100 g", 3, 56.00m)], 2),
        new("o-demo-2003", "c-zhang", "m-jingan-bakery", [new("Birthday cake", "chestnut cream, 8 inch", 1, 268.00m)], 8),
        new("o-demo-3001", "c-chen", "m-bund-electronics", [new("Phone charger", "65 W", 1, 129.00m)], 6),
        new("o-demo-3002", "c-chen", "m-westlake-silk", [new("Silk pillowcase", "pair", 1, 238.00m)], 1),
    ];

    public static IReadOnlyList<DemoPerson> All { get; } =
    [
        Consumer("c-li", "Li Wei"),
        Consumer("c-zhang", "Zhang Min"),
        Consumer("c-chen", "Chen Jie"),
        .. Stores.Select(s => new DemoPerson(s.MerchantId, Role.Merchant, s.StoreName, s.City, s.StoreName)),
        new("med-zhou", Role.Mediator, "Zhou Lan", "Hangzhou"),
        new("med-wang", Role.Mediator, "Wang Hao", "Hangzhou"),
        new("med-chen", Role.Mediator, "Chen Yu", "Shanghai"),
        new("reg-zhejiang", Role.Regulator, "Zhejiang market regulator", "Hangzhou"),
        new("ops-platform", Role.Ops, "Payment platform operations"),
    ];

    private static DemoPerson Consumer(string id, string name) =>
        new(id, Role.Consumer, name, Orders: Orders.Where(o => o.ConsumerId == id).Select(o => o.OrderId).ToList());

    public static DemoStore Store(string merchantId) => Stores.Single(s => s.MerchantId == merchantId);
}

public sealed record DemoOrder(string OrderId, string ConsumerId, string MerchantId, IReadOnlyList<OrderItem> Items, int DaysAgo)
{
    public decimal Total => Items.Sum(i => i.Quantity * i.Price);
}
