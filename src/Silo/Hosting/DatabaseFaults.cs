using System.Data.Common;
using Npgsql;

namespace Mediation.Silo.Hosting;

/// <summary>
/// A grain call that failed in the database (the ADO.NET grain storage, say) answers with a <see cref="MediationException"/>
/// that says so: a provider's exception (<see cref="PostgresException"/>) has no Orleans codec, so it would reach the
/// edge as a serialization failure and a 500 instead of a retryable 503. A server at its connection limit is busy,
/// not unreachable.
/// </summary>
public sealed class DatabaseFaults : IIncomingGrainCallFilter
{
    public async Task Invoke(IIncomingGrainCallContext context)
    {
        try
        {
            await context.Invoke();
        }
        catch (Exception e) when (e is not MediationException && Find(e) is { } database)
        {
            throw database is PostgresException { SqlState: PostgresErrorCodes.TooManyConnections }
                || database.Message.Contains("pool", StringComparison.OrdinalIgnoreCase) && database.InnerException is TimeoutException
                ? MediationException.Busy("the database is at its connection limit")
                : new MediationException(ErrorCode.Unavailable, "the service cannot reach its database right now");
        }
    }

    private static DbException? Find(Exception? exception)
    {
        for (var depth = 0; exception is not null && depth < 8; exception = exception.InnerException, depth++)
            if (exception is DbException found) return found;
        return null;
    }
}
