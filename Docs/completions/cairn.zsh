#compdef cairn

__cairn_complete() {
    local -ar non_empty_completions=("${@:#(|:*)}")
    local -ar empty_completions=("${(M)@:#(|:*)}")
    _describe -V '' non_empty_completions -- empty_completions -P $'\'\''
}

__cairn_custom_complete() {
    local -a completions
    completions=("${(@f)"$("${command_name}" "${@}" "${command_line[@]}")"}")
    if [[ "${#completions[@]}" -gt 1 ]]; then
        __cairn_complete "${completions[@]:0:-1}"
    fi
}

__cairn_cursor_index_in_current_word() {
    if [[ -z "${QIPREFIX}${IPREFIX}${PREFIX}" ]]; then
        printf 0
    else
        printf %s "${#${(z)LBUFFER}[-1]}"
    fi
}

_cairn() {
    emulate -RL zsh -G
    setopt extendedglob nullglob numericglobsort
    unsetopt aliases banghist

    local -xr SAP_SHELL=zsh
    local -x SAP_SHELL_VERSION
    SAP_SHELL_VERSION="$(builtin emulate zsh -c 'printf %s "${ZSH_VERSION}"')"
    local -r SAP_SHELL_VERSION

    local context state state_descr line
    local -A opt_args

    local -r command_name="${words[1]}"
    local -ar command_line=("${words[@]}")
    local -ir current_word_index="$((CURRENT - 1))"

    local -i ret=1
    local -ar arg_specs=(
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
        '(-): :->command'
        '(-)*:: :->arg'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0
    case "${state}" in
    command)
        local -ar subcommands=(
            'init:Create a new, empty repository.'
            'backup:Back up directories as a new snapshot, or run the scheduled job from a config file.'
            'snapshots:List the snapshots in the repository, oldest first.'
            'restore:Restore a snapshot into a target directory.'
            'forget:Remove the snapshots that no keep rule keeps (space comes back with '\''cairn gc'\'').'
            'gc:Delete the objects no snapshot references any more, and leftovers of interrupted runs.'
            'check:Verify that every snapshot can be restored.'
            'ls:List the entries of a snapshot, or of one path in it.'
            'diff:Show what changed between two snapshots.'
            'stats:Show how much the repository holds and how much deduplication saves.'
            'key:List, add, remove or change the passwords of an encrypted repository.'
            'log:Print the log kept in the repository (backup.log), opening sealed lines of an encrypted one.'
            'unlock:Remove stale locks of an S3 repository (all locks with --force).'
            'help:Show subcommand help information.'
        )
        _describe -V subcommand subcommands && ret=0
        ;;
    arg)
        case "${words[1]}" in
        init|backup|snapshots|restore|forget|gc|check|ls|diff|stats|key|log|unlock|help)
            "_cairn_${words[1]}" && ret=0
            ;;
        esac
        ;;
    esac

    return "${ret}"
}

_cairn_init() {
    local -i ret=1
    local -ar arg_specs=(
        '(-r --repo)'{-r,--repo}'[The repository\: a directory, or s3\:http\[s\]\://HOST\[\:PORT\]/BUCKET\[/PREFIX\] (default\: $CAIRN_REPO).]:repo:'
        '--s3-path-style[Address S3 buckets by path (HOST/BUCKET), as custom endpoints need; AWS uses BUCKET.HOST.]'
        '--connections[Requests to an S3 repository in flight at once.]:connections:'
        '--lock-wait[Seconds to wait for another cairn process to release the repository.]:lock-wait:'
        '--password-file[Read the repository password from this file (default\: $CAIRN_PASSWORD_FILE).]:password-file:'
        '--password-command[Run this command and use its output as the password (default\: $CAIRN_PASSWORD_COMMAND).]:password-command:'
        '--block-size[Block size in bytes, 65536 to 16777216; files are split into blocks of this size (default\: 1 MiB for a local folder, 8 MiB on S3, where each object is a request).]:block-size:'
        '--compression[Compression of stored objects\: '\''zstd'\'' (default), '\''zstd\:LEVEL'\'' (1 to 19) or '\''none'\''.]:compression:'
        '--encryption[Encryption\: '\''aes-256-gcm'\'' (default on S3) or '\''none'\'' (default for a local folder).]:encryption:'
        '--kdf-cost[The cost of deriving the key from the password\: log2 of scrypt'\''s N with p = 1 (10 to 20; default\: N = 2^15, p = 4).]:kdf-cost:'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_cairn_backup() {
    local -i ret=1
    local -ar arg_specs=(
        '(-r --repo)'{-r,--repo}'[The repository\: a directory, or s3\:http\[s\]\://HOST\[\:PORT\]/BUCKET\[/PREFIX\] (default\: $CAIRN_REPO).]:repo:'
        '--s3-path-style[Address S3 buckets by path (HOST/BUCKET), as custom endpoints need; AWS uses BUCKET.HOST.]'
        '--connections[Requests to an S3 repository in flight at once.]:connections:'
        '--lock-wait[Seconds to wait for another cairn process to release the repository.]:lock-wait:'
        '--password-file[Read the repository password from this file (default\: $CAIRN_PASSWORD_FILE).]:password-file:'
        '--password-command[Run this command and use its output as the password (default\: $CAIRN_PASSWORD_COMMAND).]:password-command:'
        '--config[Run the scheduled job described by this YAML file.]:config:'
        '--if-due[With --config\: do nothing (but log it) when the newest snapshot is younger than backup_interval_hours.]'
        '--full[Take a full snapshot\: read and hash every file.]'
        '--differential[Take a differential snapshot against the newest full.]'
        '--full-every[Days after which the next backup is full.]:full-every:'
        '--time[Date the snapshot at this time and run as if it were now\: '\''2026-01-02 15\:04\:05'\'' (local time) or ISO 8601 with a zone.]:time:'
        '--keep[Same as --keep-last.]:n:'
        '--keep-last[Keep the newest N snapshots of each group.]:n:'
        '--keep-hourly[Keep the newest snapshot of each of the last N hours that have one.]:n:'
        '--keep-daily[Keep the newest snapshot of each of the last N days that have one.]:n:'
        '--keep-weekly[Keep the newest snapshot of each of the last N ISO weeks that have one.]:n:'
        '--keep-monthly[Keep the newest snapshot of each of the last N months that have one.]:n:'
        '--keep-yearly[Keep the newest snapshot of each of the last N years that have one.]:n:'
        '--keep-within[Keep every snapshot this close to the group'\''s newest\: 30d, 2w, 1y2m, 12h (y m w d h).]:duration:'
        '*--keep-tag[Keep every snapshot with this tag (repeatable).]:tag:'
        '--group-by[Apply the rules within groups of snapshots that share these\: any of host, paths, tags, comma-separated; '\'''\'' for the whole repository.]:fields:'
        '--allow-empty[Allow rules that would remove every snapshot of a group.]'
        '*--tag[Label the snapshot with this tag (repeatable).]:tag:'
        '*--exclude[Do not back up paths matching this glob (repeatable)\: '\''*.tmp'\'', '\''/home/*/.cache'\'', '\''/srv/**/cache'\''.]:exclude:'
        '--compression[Compress new objects of this run with '\''none'\'', '\''zstd'\'' or '\''zstd\:LEVEL'\'' (default\: the repository'\''s).]:compression:'
        '--exclude-caches[Leave out directories holding a CACHEDIR.TAG file with the standard signature.]'
        '*--exclude-if-present[Leave out directories holding a file of this name (repeatable).]:name:'
        '--exclude-larger-than[Leave out files larger than this\: bytes, or 500k, 20M, 2G.]:size:'
        '*--exclude-file[Read exclude patterns from this file, one a line; '\''#'\'' starts a comment (repeatable).]:file:'
        '--one-file-system[Do not descend into other file systems mounted below a source.]'
        '--json[Print the result as one JSON document.]'
        '(--quiet -q)'{--quiet,-q}'[Print nothing but errors.]'
        '(--verbose -v)'{--verbose,-v}'[Print the summary even when stdout is not a terminal.]'
        '*:sources:'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_cairn_snapshots() {
    local -i ret=1
    local -ar arg_specs=(
        '(-r --repo)'{-r,--repo}'[The repository\: a directory, or s3\:http\[s\]\://HOST\[\:PORT\]/BUCKET\[/PREFIX\] (default\: $CAIRN_REPO).]:repo:'
        '--s3-path-style[Address S3 buckets by path (HOST/BUCKET), as custom endpoints need; AWS uses BUCKET.HOST.]'
        '--connections[Requests to an S3 repository in flight at once.]:connections:'
        '--lock-wait[Seconds to wait for another cairn process to release the repository.]:lock-wait:'
        '--password-file[Read the repository password from this file (default\: $CAIRN_PASSWORD_FILE).]:password-file:'
        '--password-command[Run this command and use its output as the password (default\: $CAIRN_PASSWORD_COMMAND).]:password-command:'
        '--json[Print a JSON array of snapshot records.]'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_cairn_restore() {
    local -i ret=1
    local -ar arg_specs=(
        '(-r --repo)'{-r,--repo}'[The repository\: a directory, or s3\:http\[s\]\://HOST\[\:PORT\]/BUCKET\[/PREFIX\] (default\: $CAIRN_REPO).]:repo:'
        '--s3-path-style[Address S3 buckets by path (HOST/BUCKET), as custom endpoints need; AWS uses BUCKET.HOST.]'
        '--connections[Requests to an S3 repository in flight at once.]:connections:'
        '--lock-wait[Seconds to wait for another cairn process to release the repository.]:lock-wait:'
        '--password-file[Read the repository password from this file (default\: $CAIRN_PASSWORD_FILE).]:password-file:'
        '--password-command[Run this command and use its output as the password (default\: $CAIRN_PASSWORD_COMMAND).]:password-command:'
        ':snapshot:'
        ':target:'
        '*--include[Restore only this absolute path and what lies below it (repeatable).]:include:'
        '--overwrite[Restore into a non-empty target, replacing files in the way.]'
        '--numeric-owner[As root, set owners by the stored numeric ids only, not by the stored user and group names.]'
        '--json[Print the result as one JSON document.]'
        '(--quiet -q)'{--quiet,-q}'[Print nothing but errors.]'
        '(--verbose -v)'{--verbose,-v}'[Print the summary even when stdout is not a terminal.]'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_cairn_forget() {
    local -i ret=1
    local -ar arg_specs=(
        '(-r --repo)'{-r,--repo}'[The repository\: a directory, or s3\:http\[s\]\://HOST\[\:PORT\]/BUCKET\[/PREFIX\] (default\: $CAIRN_REPO).]:repo:'
        '--s3-path-style[Address S3 buckets by path (HOST/BUCKET), as custom endpoints need; AWS uses BUCKET.HOST.]'
        '--connections[Requests to an S3 repository in flight at once.]:connections:'
        '--lock-wait[Seconds to wait for another cairn process to release the repository.]:lock-wait:'
        '--password-file[Read the repository password from this file (default\: $CAIRN_PASSWORD_FILE).]:password-file:'
        '--password-command[Run this command and use its output as the password (default\: $CAIRN_PASSWORD_COMMAND).]:password-command:'
        '--keep[Same as --keep-last.]:n:'
        '--keep-last[Keep the newest N snapshots of each group.]:n:'
        '--keep-hourly[Keep the newest snapshot of each of the last N hours that have one.]:n:'
        '--keep-daily[Keep the newest snapshot of each of the last N days that have one.]:n:'
        '--keep-weekly[Keep the newest snapshot of each of the last N ISO weeks that have one.]:n:'
        '--keep-monthly[Keep the newest snapshot of each of the last N months that have one.]:n:'
        '--keep-yearly[Keep the newest snapshot of each of the last N years that have one.]:n:'
        '--keep-within[Keep every snapshot this close to the group'\''s newest\: 30d, 2w, 1y2m, 12h (y m w d h).]:duration:'
        '*--keep-tag[Keep every snapshot with this tag (repeatable).]:tag:'
        '--group-by[Apply the rules within groups of snapshots that share these\: any of host, paths, tags, comma-separated; '\'''\'' for the whole repository.]:fields:'
        '--allow-empty[Allow rules that would remove every snapshot of a group.]'
        '--dry-run[Show what would be kept and removed, and why, without removing anything.]'
        '--json[Print the result as one JSON document.]'
        '(--quiet -q)'{--quiet,-q}'[Print nothing but errors.]'
        '(--verbose -v)'{--verbose,-v}'[Print the summary even when stdout is not a terminal.]'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_cairn_gc() {
    local -i ret=1
    local -ar arg_specs=(
        '(-r --repo)'{-r,--repo}'[The repository\: a directory, or s3\:http\[s\]\://HOST\[\:PORT\]/BUCKET\[/PREFIX\] (default\: $CAIRN_REPO).]:repo:'
        '--s3-path-style[Address S3 buckets by path (HOST/BUCKET), as custom endpoints need; AWS uses BUCKET.HOST.]'
        '--connections[Requests to an S3 repository in flight at once.]:connections:'
        '--lock-wait[Seconds to wait for another cairn process to release the repository.]:lock-wait:'
        '--password-file[Read the repository password from this file (default\: $CAIRN_PASSWORD_FILE).]:password-file:'
        '--password-command[Run this command and use its output as the password (default\: $CAIRN_PASSWORD_COMMAND).]:password-command:'
        '--dry-run[Count what would be deleted without deleting anything.]'
        '--json[Print the result as one JSON document.]'
        '(--quiet -q)'{--quiet,-q}'[Print nothing but errors.]'
        '(--verbose -v)'{--verbose,-v}'[Print the summary even when stdout is not a terminal.]'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_cairn_check() {
    local -i ret=1
    local -ar arg_specs=(
        '(-r --repo)'{-r,--repo}'[The repository\: a directory, or s3\:http\[s\]\://HOST\[\:PORT\]/BUCKET\[/PREFIX\] (default\: $CAIRN_REPO).]:repo:'
        '--s3-path-style[Address S3 buckets by path (HOST/BUCKET), as custom endpoints need; AWS uses BUCKET.HOST.]'
        '--connections[Requests to an S3 repository in flight at once.]:connections:'
        '--lock-wait[Seconds to wait for another cairn process to release the repository.]:lock-wait:'
        '--password-file[Read the repository password from this file (default\: $CAIRN_PASSWORD_FILE).]:password-file:'
        '--password-command[Run this command and use its output as the password (default\: $CAIRN_PASSWORD_COMMAND).]:password-command:'
        '--read-data[Read every referenced object and verify its SHA-256.]'
        '--repair[Move damaged objects into quarantine/ so that the next backup writes them again (needs --read-data).]'
        '--json[Print the result as one JSON document.]'
        '(--quiet -q)'{--quiet,-q}'[Print nothing but errors.]'
        '(--verbose -v)'{--verbose,-v}'[Print the summary even when stdout is not a terminal.]'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_cairn_ls() {
    local -i ret=1
    local -ar arg_specs=(
        '(-r --repo)'{-r,--repo}'[The repository\: a directory, or s3\:http\[s\]\://HOST\[\:PORT\]/BUCKET\[/PREFIX\] (default\: $CAIRN_REPO).]:repo:'
        '--s3-path-style[Address S3 buckets by path (HOST/BUCKET), as custom endpoints need; AWS uses BUCKET.HOST.]'
        '--connections[Requests to an S3 repository in flight at once.]:connections:'
        '--lock-wait[Seconds to wait for another cairn process to release the repository.]:lock-wait:'
        '--password-file[Read the repository password from this file (default\: $CAIRN_PASSWORD_FILE).]:password-file:'
        '--password-command[Run this command and use its output as the password (default\: $CAIRN_PASSWORD_COMMAND).]:password-command:'
        ':snapshot:'
        ':path:'
        '--json[Print a JSON array of entries.]'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_cairn_diff() {
    local -i ret=1
    local -ar arg_specs=(
        '(-r --repo)'{-r,--repo}'[The repository\: a directory, or s3\:http\[s\]\://HOST\[\:PORT\]/BUCKET\[/PREFIX\] (default\: $CAIRN_REPO).]:repo:'
        '--s3-path-style[Address S3 buckets by path (HOST/BUCKET), as custom endpoints need; AWS uses BUCKET.HOST.]'
        '--connections[Requests to an S3 repository in flight at once.]:connections:'
        '--lock-wait[Seconds to wait for another cairn process to release the repository.]:lock-wait:'
        '--password-file[Read the repository password from this file (default\: $CAIRN_PASSWORD_FILE).]:password-file:'
        '--password-command[Run this command and use its output as the password (default\: $CAIRN_PASSWORD_COMMAND).]:password-command:'
        ':from:'
        ':to:'
        '--json[Print the differences as JSON.]'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_cairn_stats() {
    local -i ret=1
    local -ar arg_specs=(
        '(-r --repo)'{-r,--repo}'[The repository\: a directory, or s3\:http\[s\]\://HOST\[\:PORT\]/BUCKET\[/PREFIX\] (default\: $CAIRN_REPO).]:repo:'
        '--s3-path-style[Address S3 buckets by path (HOST/BUCKET), as custom endpoints need; AWS uses BUCKET.HOST.]'
        '--connections[Requests to an S3 repository in flight at once.]:connections:'
        '--lock-wait[Seconds to wait for another cairn process to release the repository.]:lock-wait:'
        '--password-file[Read the repository password from this file (default\: $CAIRN_PASSWORD_FILE).]:password-file:'
        '--password-command[Run this command and use its output as the password (default\: $CAIRN_PASSWORD_COMMAND).]:password-command:'
        '--json[Print the figures as JSON.]'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_cairn_key() {
    local -i ret=1
    local -ar arg_specs=(
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
        '(-): :->command'
        '(-)*:: :->arg'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0
    case "${state}" in
    command)
        local -ar subcommands=(
            'list:List the key files; '\''*'\'' marks the one used.'
            'add:Add a password that opens the repository.'
            'remove:Remove a key (not the one given to this command).'
            'passwd:Change the password: add a key with the new one, then remove the key that was used.'
        )
        _describe -V subcommand subcommands && ret=0
        ;;
    arg)
        case "${words[1]}" in
        list|add|remove|passwd)
            "_cairn_key_${words[1]}" && ret=0
            ;;
        esac
        ;;
    esac

    return "${ret}"
}

_cairn_key_list() {
    local -i ret=1
    local -ar arg_specs=(
        '(-r --repo)'{-r,--repo}'[The repository\: a directory, or s3\:http\[s\]\://HOST\[\:PORT\]/BUCKET\[/PREFIX\] (default\: $CAIRN_REPO).]:repo:'
        '--s3-path-style[Address S3 buckets by path (HOST/BUCKET), as custom endpoints need; AWS uses BUCKET.HOST.]'
        '--connections[Requests to an S3 repository in flight at once.]:connections:'
        '--lock-wait[Seconds to wait for another cairn process to release the repository.]:lock-wait:'
        '--password-file[Read the repository password from this file (default\: $CAIRN_PASSWORD_FILE).]:password-file:'
        '--password-command[Run this command and use its output as the password (default\: $CAIRN_PASSWORD_COMMAND).]:password-command:'
        '--json[Print the keys as JSON.]'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_cairn_key_add() {
    local -i ret=1
    local -ar arg_specs=(
        '(-r --repo)'{-r,--repo}'[The repository\: a directory, or s3\:http\[s\]\://HOST\[\:PORT\]/BUCKET\[/PREFIX\] (default\: $CAIRN_REPO).]:repo:'
        '--s3-path-style[Address S3 buckets by path (HOST/BUCKET), as custom endpoints need; AWS uses BUCKET.HOST.]'
        '--connections[Requests to an S3 repository in flight at once.]:connections:'
        '--lock-wait[Seconds to wait for another cairn process to release the repository.]:lock-wait:'
        '--password-file[Read the repository password from this file (default\: $CAIRN_PASSWORD_FILE).]:password-file:'
        '--password-command[Run this command and use its output as the password (default\: $CAIRN_PASSWORD_COMMAND).]:password-command:'
        '--new-password-file[Read the new password from this file (default\: ask on the terminal).]:new-password-file:'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_cairn_key_remove() {
    local -i ret=1
    local -ar arg_specs=(
        '(-r --repo)'{-r,--repo}'[The repository\: a directory, or s3\:http\[s\]\://HOST\[\:PORT\]/BUCKET\[/PREFIX\] (default\: $CAIRN_REPO).]:repo:'
        '--s3-path-style[Address S3 buckets by path (HOST/BUCKET), as custom endpoints need; AWS uses BUCKET.HOST.]'
        '--connections[Requests to an S3 repository in flight at once.]:connections:'
        '--lock-wait[Seconds to wait for another cairn process to release the repository.]:lock-wait:'
        '--password-file[Read the repository password from this file (default\: $CAIRN_PASSWORD_FILE).]:password-file:'
        '--password-command[Run this command and use its output as the password (default\: $CAIRN_PASSWORD_COMMAND).]:password-command:'
        ':id:'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_cairn_key_passwd() {
    local -i ret=1
    local -ar arg_specs=(
        '(-r --repo)'{-r,--repo}'[The repository\: a directory, or s3\:http\[s\]\://HOST\[\:PORT\]/BUCKET\[/PREFIX\] (default\: $CAIRN_REPO).]:repo:'
        '--s3-path-style[Address S3 buckets by path (HOST/BUCKET), as custom endpoints need; AWS uses BUCKET.HOST.]'
        '--connections[Requests to an S3 repository in flight at once.]:connections:'
        '--lock-wait[Seconds to wait for another cairn process to release the repository.]:lock-wait:'
        '--password-file[Read the repository password from this file (default\: $CAIRN_PASSWORD_FILE).]:password-file:'
        '--password-command[Run this command and use its output as the password (default\: $CAIRN_PASSWORD_COMMAND).]:password-command:'
        '--new-password-file[Read the new password from this file (default\: ask on the terminal).]:new-password-file:'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_cairn_log() {
    local -i ret=1
    local -ar arg_specs=(
        '(-r --repo)'{-r,--repo}'[The repository\: a directory, or s3\:http\[s\]\://HOST\[\:PORT\]/BUCKET\[/PREFIX\] (default\: $CAIRN_REPO).]:repo:'
        '--s3-path-style[Address S3 buckets by path (HOST/BUCKET), as custom endpoints need; AWS uses BUCKET.HOST.]'
        '--connections[Requests to an S3 repository in flight at once.]:connections:'
        '--lock-wait[Seconds to wait for another cairn process to release the repository.]:lock-wait:'
        '--password-file[Read the repository password from this file (default\: $CAIRN_PASSWORD_FILE).]:password-file:'
        '--password-command[Run this command and use its output as the password (default\: $CAIRN_PASSWORD_COMMAND).]:password-command:'
        '--last[Print only the last N lines.]:last:'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_cairn_unlock() {
    local -i ret=1
    local -ar arg_specs=(
        '(-r --repo)'{-r,--repo}'[The repository\: a directory, or s3\:http\[s\]\://HOST\[\:PORT\]/BUCKET\[/PREFIX\] (default\: $CAIRN_REPO).]:repo:'
        '--s3-path-style[Address S3 buckets by path (HOST/BUCKET), as custom endpoints need; AWS uses BUCKET.HOST.]'
        '--connections[Requests to an S3 repository in flight at once.]:connections:'
        '--lock-wait[Seconds to wait for another cairn process to release the repository.]:lock-wait:'
        '--password-file[Read the repository password from this file (default\: $CAIRN_PASSWORD_FILE).]:password-file:'
        '--password-command[Run this command and use its output as the password (default\: $CAIRN_PASSWORD_COMMAND).]:password-command:'
        '--force[Remove every lock, also those of operations that may still be running.]'
        '--version[Show the version.]'
        '(-h --help)'{-h,--help}'[Show help information.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

_cairn_help() {
    local -i ret=1
    local -ar arg_specs=(
        '*:subcommands:'
        '--version[Show the version.]'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

if [[ "${funcstack[1]}" = _cairn ]]; then
    _cairn "${@}"
else
    compdef _cairn cairn
fi
