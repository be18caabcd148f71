namespace Edge.Gateway.Storage.Redis;

/// <summary>
/// Lua shared by the scripts that change the blob index, so a record, the holds on it and its files' reference counts
/// always change together. Records are JSON (read with cjson); a record written by an earlier version, before files
/// were counted, releases no file.
/// </summary>
internal static class RedisBlobScripts
{
    /// <summary>
    /// <c>remove_blob(blob_key, owners_key, refs_key, sha, file_prefix, device_prefix)</c>: removes the record, every
    /// device's hold and the proof references; returns the record (or false) and the files nothing names any more.
    /// </summary>
    public const string RemoveBlob = """
        local function remove_blob(blob_key, owners_key, refs_key, sha, file_prefix, device_prefix)
          local record = redis.call('GET', blob_key)
          for _, owner in ipairs(redis.call('SMEMBERS', owners_key)) do
            redis.call('SREM', device_prefix .. owner .. ':blobs', sha)
          end
          redis.call('DEL', blob_key, owners_key, refs_key)
          local gone = {}
          if not record then return false, gone end
          local ok, decoded = pcall(cjson.decode, record)
          if ok and type(decoded) == 'table' then
            local files = { decoded['stored_sha256'] }
            local photo = decoded['photo']
            if type(photo) == 'table' and type(photo['thumbnail_sha256']) == 'string' and photo['thumbnail_sha256'] ~= ''
                and photo['thumbnail_sha256'] ~= decoded['stored_sha256'] then
              table.insert(files, photo['thumbnail_sha256'])
            end
            for _, f in ipairs(files) do
              if redis.call('DECR', file_prefix .. f) <= 0 then
                redis.call('DEL', file_prefix .. f)
                table.insert(gone, f)
              end
            end
          end
          return record, gone
        end

        """;
}
