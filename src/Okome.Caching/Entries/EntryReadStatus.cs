namespace Okome.Caching.Entries;

/// <summary>
/// The outcome of reading stored entry bytes. Anything but <see cref="Ok"/> is a miss that the store counts
/// and logs with this reason; it is never an exception.
/// </summary>
internal enum EntryReadStatus
{
    /// <summary>The bytes hold a valid entry for the expected key.</summary>
    Ok = 0,

    /// <summary>No bytes at all.</summary>
    Empty,

    /// <summary>The bytes do not start with the entry magic: something else is stored under the key.</summary>
    ForeignMagic,

    /// <summary>An entry of a format version this reader does not know (written by a newer library).</summary>
    UnsupportedVersion,

    /// <summary>The bytes end before the length the envelope declares.</summary>
    Truncated,

    /// <summary>The checksum does not match: the bytes were changed after they were written.</summary>
    ChecksumMismatch,

    /// <summary>A valid entry, but stored under a different key hash (a collision of the key layout or a misplaced write).</summary>
    KeyMismatch,

    /// <summary>The checksum matches but the content breaks the format or its limits (a writer bug or crafted bytes).</summary>
    Invalid,
}
