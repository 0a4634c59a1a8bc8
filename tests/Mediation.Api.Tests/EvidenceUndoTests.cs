using System.Reflection;
using System.Security.Claims;
using System.Text;
using Mediation.Api.Evidence;
using Mediation.Silo.Evidence;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Mediation.Api.Tests;

/// <summary>
/// The one refusal that comes after the bytes are stored: the dispute allowed evidence when asked, then refused to
/// record it (sealed in between). The upload handler runs here on its own, with a dispute that answers that way.
/// </summary>
public sealed class EvidenceUndoTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("mediation-evidence-undo-");

    public void Dispose()
    {
        try { _dir.Delete(recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task A_photo_the_dispute_refuses_after_it_was_stored_is_removed_again()
    {
        var store = new FileEvidenceStore(Path.Combine(_dir.FullName, "evidence"));
        var grains = FakeGrains.With(SealsOnRecord.Create());

        var refusal = await Assert.ThrowsAsync<MediationException>(() => EvidenceApi.AddEvidence(
            "d-undo", Upload(EvidenceTests.Jpeg(withLocation: true)), grains, store, Options.Create(new EvidenceOptions())));

        Assert.Equal(ErrorCode.Conflict, refusal.Code);
        Assert.Equal(1, SealsOnRecord.Attempts); // it was stored, then refused
        Assert.Empty(Directory.EnumerateFiles(store.Root, "*", SearchOption.AllDirectories));
    }

    private static DefaultHttpContext Upload(byte[] file)
    {
        const string Boundary = "evidence-boundary";
        var head = Encoding.ASCII.GetBytes(
            $"--{Boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"tins.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n");
        var tail = Encoding.ASCII.GetBytes($"\r\n--{Boundary}--\r\n");
        var http = new DefaultHttpContext();
        http.Request.Method = "POST";
        http.Request.ContentType = $"multipart/form-data; boundary={Boundary}";
        http.Request.Body = new MemoryStream([.. head, .. file, .. tail]);
        http.User = new ClaimsPrincipal(new ClaimsIdentity(
            [new Claim(ClaimTypes.NameIdentifier, "c-undo"), new Claim(ClaimTypes.Role, nameof(Role.Consumer))], "test"));
        return http;
    }

    /// <summary>A dispute that lists AddEvidence as allowed, then refuses to record it, as if sealed meanwhile.</summary>
    public class SealsOnRecord : DispatchProxy
    {
        public static int Attempts;

        public static IDisputeGrain Create()
        {
            Attempts = 0;
            return DispatchProxy.Create<IDisputeGrain, SealsOnRecord>();
        }

        protected override object? Invoke(MethodInfo? method, object?[]? args) => method!.Name switch
        {
            nameof(IDisputeGrain.GetAsync) => Task.FromResult(new DisputeView("d-undo", DisputeState.InMediation, "c-undo", "m-undo", null!,
                DisputeCategory.Quality, Remedy.FullRefund, 1m, "", DateTimeOffset.UnixEpoch, DisputeDeadlines.None, null, null, 1,
                [DisputeAction.AddEvidence], false, false)),
            nameof(IDisputeGrain.AddEvidenceAsync) => Refuse(),
            _ => throw new NotSupportedException(method.Name),
        };

        private static Task<DisputeEvent> Refuse()
        {
            Interlocked.Increment(ref Attempts);
            return Task.FromException<DisputeEvent>(MediationException.Conflict("the evidence is sealed: nothing can be added after the evidence deadline"));
        }
    }

    /// <summary>A grain factory that hands out one dispute grain for any key.</summary>
    public class FakeGrains : DispatchProxy
    {
        private IDisputeGrain? _dispute;

        public static IGrainFactory With(IDisputeGrain dispute)
        {
            var grains = DispatchProxy.Create<IGrainFactory, FakeGrains>();
            ((FakeGrains)(object)grains)._dispute = dispute;
            return grains;
        }

        protected override object? Invoke(MethodInfo? method, object?[]? args) =>
            method!.Name == nameof(IGrainFactory.GetGrain) && method.ReturnType == typeof(IDisputeGrain)
                ? _dispute
                : throw new NotSupportedException(method.Name);
    }
}
