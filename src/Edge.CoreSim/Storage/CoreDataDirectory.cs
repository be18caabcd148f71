using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Edge.CoreSim.Storage;

/// <summary>The simulator's data directory, resolved against the content root and created on first use.</summary>
internal sealed class CoreDataDirectory
{
    public CoreDataDirectory(IOptions<CoreSimulatorOptions> options, IHostEnvironment environment, ILogger<CoreDataDirectory> logger)
    {
        Path = System.IO.Path.GetFullPath(options.Value.DataDirectory, environment.ContentRootPath);
        Directory.CreateDirectory(Path);
        StorageLog.DataDirectory(logger, Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);
}
