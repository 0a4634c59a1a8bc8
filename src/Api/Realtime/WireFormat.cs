using System.Text.Json;

namespace Mediation.Api.Realtime;

/// <summary>
/// The shape pushed to SignalR clients: exactly the REST timeline's JSON (camelCase, enums as names, absent fields
/// omitted), as a map, so that the JSON and MessagePack hub protocols carry the same keys.
/// </summary>
public static class WireFormat
{
    public static Dictionary<string, object?> ToWire<T>(T value)
    {
        var element = JsonSerializer.SerializeToElement(value, MediationJson.Options);
        return element.EnumerateObject().ToDictionary(p => p.Name, p => Plain(p.Value));
    }

    private static object? Plain(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Number when value.TryGetInt64(out var whole) => whole,
        JsonValueKind.Number => value.GetDecimal(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Object => value.EnumerateObject().ToDictionary(p => p.Name, p => Plain(p.Value)),
        JsonValueKind.Array => value.EnumerateArray().Select(Plain).ToArray(),
        _ => null,
    };
}
