using Edge.Gateway.Hosting;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Edge.Gateway.Storage.Redis;

/// <summary>
/// Every Redis key the gateway uses, under one configurable prefix. Values stay small: photo bytes never go to Redis.
/// </summary>
internal sealed class RedisKeys(IOptions<EdgeOptions> options)
{
    private readonly string _prefix = options.Value.RedisKeyPrefix;

    /// <summary>Hash with one upload session's fields.</summary>
    public RedisKey Upload(string uploadId) => _prefix + "upload:" + uploadId;

    /// <summary>Sorted set of upload ids by last touch (ms), for the sweeper.</summary>
    public RedisKey UploadsByTouch => _prefix + "uploads:touched";

    /// <summary>Sorted set of a device's upload ids by writer lease expiry (ms).</summary>
    public RedisKey DeviceWriters(string deviceId) => _prefix + "device:" + deviceId + ":writers";

    /// <summary>Counter of the declared bytes of unfinished uploads.</summary>
    public RedisKey StagingReserved => _prefix + "staging:reserved";

    /// <summary>A stored blob's record, by the device's digest.</summary>
    public RedisKey Blob(string sha256) => _prefix + "blob:" + sha256;
}
