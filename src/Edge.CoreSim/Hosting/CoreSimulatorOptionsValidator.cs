using Edge.CoreSim.Contract;
using Edge.CoreSim.FaultInjection;
using Microsoft.Extensions.Options;

namespace Edge.CoreSim.Hosting;

internal sealed class CoreSimulatorOptionsValidator : IValidateOptions<CoreSimulatorOptions>
{
    public ValidateOptionsResult Validate(string? name, CoreSimulatorOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.DataDirectory))
        {
            failures.Add("CoreSim:DataDirectory is required.");
        }

        if (options.RouteCount is < 1 or > 9999)
        {
            failures.Add("CoreSim:RouteCount must be between 1 and 9999.");
        }

        if (options.StopsPerRoute is < 1 or > 2000)
        {
            failures.Add("CoreSim:StopsPerRoute must be between 1 and 2000.");
        }

        if (options.MaxBlobBytes < 1)
        {
            failures.Add("CoreSim:MaxBlobBytes must be positive.");
        }

        if (options.Faults.DownFor < TimeSpan.Zero)
        {
            failures.Add("CoreSim:Faults:DownFor must not be negative.");
        }

        var checks = new FieldChecks();
        FaultSet.Check(FaultSet.FromOptions(options.Faults, DateTimeOffset.UnixEpoch), checks);
        if (!checks.IsValid)
        {
            failures.Add($"CoreSim:Faults: {checks.Summary}");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
