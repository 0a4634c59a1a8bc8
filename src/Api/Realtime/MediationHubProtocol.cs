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
        if (!inner.TryParseMessage(ref input, binder, out message)) return false;
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
