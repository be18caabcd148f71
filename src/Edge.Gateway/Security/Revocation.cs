namespace Edge.Gateway.Security;

/// <summary>What a revocation names.</summary>
internal enum RevocationKind
{
    /// <summary>One token, by its <c>jti</c>.</summary>
    Token = 1,

    /// <summary>Every token of a device issued at or before the revocation.</summary>
    Device = 2,
}

/// <summary>A revoked token or device.</summary>
/// <param name="Kind">Token or device.</param>
/// <param name="Id">The token's <c>jti</c> or the device id.</param>
/// <param name="At">When it was revoked: a device's tokens issued at or before this time are refused.</param>
/// <param name="Until">When it may be forgotten: every token it could refuse has expired by then.</param>
internal sealed record Revocation(RevocationKind Kind, string Id, DateTimeOffset At, DateTimeOffset Until);

/// <summary>
/// Revoked tokens and devices, kept where the gateway's state is (the SQLite file, or Redis, where every replica sees
/// them). Few and short-lived: an entry is dropped once every token it could refuse has expired.
/// </summary>
internal interface IRevocationStore
{
    /// <summary>Records a revocation; a second one of the same token or device keeps the later times.</summary>
    Task AddAsync(Revocation revocation, CancellationToken cancellationToken);

    /// <summary>The revocations still in force at <paramref name="now"/>; expired ones are removed.</summary>
    Task<IReadOnlyList<Revocation>> ListAsync(DateTimeOffset now, CancellationToken cancellationToken);
}
