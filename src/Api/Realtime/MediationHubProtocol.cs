using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.ExceptionServices;
using System.Text.Json;
using System.Text.RegularExpressions;
using Mediation.Api.Problems;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;

namespace Mediation.Api.Realtime;

/// <summary>
/// A hub protocol (JSON or MessagePack) that refuses in our words what the protocol itself reads: a JSON frame with
/// a duplicate key (<c>"target"</c> twice would run the second) and arguments that do not bind. The call is then
/// not run; its caller gets "400 Malformed request: …", as every refusal on the hub reads: the REST status, its
/// title and our message, without SignalR's prefix.
/// <c>JsonSerializerOptions.AllowDuplicateProperties = false</c> does not reach the frame itself: SignalR's
/// <c>JsonHubProtocol</c> walks <c>type</c>/<c>target</c>/<c>arguments</c> with its own reader (last key wins) and
/// uses the serializer only for argument values; hence the frame check here.
/// </summary>
public sealed partial class MediationHubProtocol(IHubProtocol inner) : IHubProtocol
{
    public string Name => inner.Name;
    public int Version => inner.Version;
    public TransferFormat TransferFormat => inner.TransferFormat;
    public bool IsVersionSupported(int version) => inner.IsVersionSupported(version);
    public ReadOnlyMemory<byte> GetMessageBytes(HubMessage message) => inner.GetMessageBytes(InOurWords(message));
    public void WriteMessage(HubMessage message, IBufferWriter<byte> output) => inner.WriteMessage(InOurWords(message), output);

    /// <summary>
    /// SignalR puts its own sentence and the exception's type name before a <see cref="HubException"/>'s message
    /// ("Failed to invoke 'X' due to an error on the server. HubException: " for arguments that did not bind, "An
    /// unexpected error occurred invoking 'X' on the server. HubException: " for a refusal); the caller gets ours
    /// alone, which starts with the REST status: "400 Malformed request: …".
    /// </summary>
    private static HubMessage InOurWords(HubMessage message) =>
        message is CompletionMessage { Error: { } error, InvocationId: { } invocationId } completion && SignalRPrefix().Match(error) is { Success: true } prefix
            ? new CompletionMessage(invocationId, error[prefix.Length..], result: null, hasResult: false) { Headers = completion.Headers }
            : message;

    [GeneratedRegex(@"^(?:Failed to invoke '.*?' due to an error on the server|An unexpected error occurred invoking '.*?' on the server)\. HubException: (?=\d{3} )", RegexOptions.Singleline)]
    private static partial Regex SignalRPrefix();

    public bool TryParseMessage(ref ReadOnlySequence<byte> input, IInvocationBinder binder, [NotNullWhen(true)] out HubMessage? message)
    {
        var before = input;
        try
        {
            if (!inner.TryParseMessage(ref input, binder, out message)) return false;
        }
        catch (InvalidDataException) when (TransferFormat == TransferFormat.Text && UnreadInvocation(before) is { } unread)
        {
            // SignalR's JSON reader stops at 64 levels while skipping arguments it could not bind, and a frame it
            // cannot read closes the connection: a call is refused instead, the connection kept.
            input = before.Slice(unread.Length);
            message = Refused(unread.InvocationId, unread.Target, new Problem(400, "Malformed request", unread.MaxDepth > MaxProtocolDepth
                ? $"an argument of {unread.Target} is nested more than {MaxProtocolDepth} levels deep"
                : $"the arguments of {unread.Target} cannot be read"));
            return true;
        }
        if (message is InvocationBindingFailureMessage failure)
            message = Refused(failure.InvocationId, failure.Target, MediationProblems.Arguments(failure.Target, failure.BindingFailure.SourceException));
        else if (TransferFormat == TransferFormat.Text && message is HubMethodInvocationMessage invocation
                 && DuplicateKey(before.Slice(0, before.Length - input.Length)) is { } key)
            message = Refused(invocation.InvocationId, invocation.Target,
                new Problem(400, "Malformed request", $"the message has the key \"{key}\" more than once"));
        return true;
    }

    private static InvocationBindingFailureMessage Refused(string? invocationId, string target, Problem problem) =>
        new(invocationId, target, ExceptionDispatchInfo.Capture(new HubException(problem.ToString())));

    /// <summary>The depth at which System.Text.Json's reader, as SignalR's JSON protocol creates it, gives up.</summary>
    private const int MaxProtocolDepth = 64;

    private sealed record UnreadFrame(long Length, string? InvocationId, string Target, int MaxDepth);

    /// <summary>
    /// The invocation in the first frame of <paramref name="input"/> (its id, target, how deep it nests, its length
    /// with the record separator), read without a depth limit (the frame is at most the hub's message size); null
    /// when the frame is incomplete, not JSON or not an invocation.
    /// </summary>
    private static UnreadFrame? UnreadInvocation(ReadOnlySequence<byte> input)
    {
        if (input.PositionOf((byte)0x1E) is not { } end) return null;
        var frame = input.Slice(0, end);
        var reader = new Utf8JsonReader(frame, new JsonReaderOptions { MaxDepth = int.MaxValue });
        string? invocationId = null, target = null;
        long type = 0;
        var deepest = 0;
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString();
                reader.Read();
                if (name == "type" && reader.TokenType == JsonTokenType.Number) type = reader.GetInt64();
                else if (name == "invocationId" && reader.TokenType == JsonTokenType.String) invocationId = reader.GetString();
                else if (name == "target" && reader.TokenType == JsonTokenType.String) target = reader.GetString();
                else if (reader.TokenType is JsonTokenType.StartArray or JsonTokenType.StartObject)
                {
                    var start = reader.CurrentDepth;
                    while (reader.Read() && reader.CurrentDepth > start)
                        deepest = Math.Max(deepest, reader.CurrentDepth + 1);
                }
            }
        }
        catch (JsonException)
        {
            return null;
        }
        // 1: an invocation, 4: a stream invocation.
        return type is 1 or 4 && target is not null ? new UnreadFrame(frame.Length + 1, invocationId, target, deepest) : null;
    }

    /// <summary>The first property name that appears twice in one object of the frame, or null.</summary>
    private static string? DuplicateKey(ReadOnlySequence<byte> frame)
    {
        var reader = new Utf8JsonReader(frame.Slice(0, frame.Length - 1)); // without the record separator
        var objects = new Stack<HashSet<string>>();
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject: objects.Push(new HashSet<string>(StringComparer.Ordinal)); break;
                    case JsonTokenType.EndObject: objects.Pop(); break;
                    case JsonTokenType.PropertyName when !objects.Peek().Add(reader.GetString()!): return reader.GetString();
                }
            }
        }
        catch (JsonException)
        {
            // The protocol already read this frame; anything it accepted that this reader does not is not a duplicate.
        }
        return null;
    }

    /// <summary>Wraps every registered hub protocol (call after AddJsonProtocol/AddMessagePackProtocol).</summary>
    public static void WrapHubProtocols(IServiceCollection services)
    {
        var registered = services.Where(d => d.ServiceType == typeof(IHubProtocol) && d.ImplementationType is not null).ToList();
        foreach (var descriptor in registered)
        {
            services.Remove(descriptor);
            var type = descriptor.ImplementationType!;
            services.AddSingleton<IHubProtocol>(sp => new MediationHubProtocol((IHubProtocol)ActivatorUtilities.CreateInstance(sp, type)));
        }
    }
}
