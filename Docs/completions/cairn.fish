function __cairn_should_offer_completions_for_flags_or_options -a expected_commands
    set -l non_repeating_flags_or_options $argv[2..]
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __cairn_parse_tokens
    test "$commands" = "$expected_commands"; and return $non_repeating_flags_or_options_absent
end

function __cairn_should_offer_completions_for_positional -a expected_commands positional_index_comparison expected_positional_index
    set -l non_repeating_flags_or_options
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __cairn_parse_tokens
    test "$commands" = "$expected_commands" -a \( "$positional_index" "$positional_index_comparison" "$expected_positional_index" \)
end

function __cairn_parse_tokens -S
    set -l unparsed_tokens (__cairn_tokens -pc)
    switch $unparsed_tokens[1]
    case 'cairn'
        __cairn_parse_subcommand 0 'version' 'h/help'
        switch $unparsed_tokens[1]
        case 'init'
            __cairn_parse_subcommand 0 'r/repo=' 's3-path-style' 'connections=' 'lock-wait=' 'password-file=' 'password-command=' 'block-size=' 'compression=' 'encryption=' 'kdf-cost=' 'version' 'h/help'
        case 'backup'
            __cairn_parse_subcommand -r 1 'r/repo=' 's3-path-style' 'connections=' 'lock-wait=' 'password-file=' 'password-command=' 'config=' 'if-due' 'full' 'differential' 'full-every=' 'time=' 'keep=' 'keep-last=' 'keep-hourly=' 'keep-daily=' 'keep-weekly=' 'keep-monthly=' 'keep-yearly=' 'keep-within=' 'keep-tag=+' 'group-by=' 'allow-empty' 'tag=+' 'exclude=+' 'compression=' 'exclude-caches' 'exclude-if-present=+' 'exclude-larger-than=' 'exclude-file=+' 'one-file-system' 'json' 'q/quiet' 'v/verbose' 'version' 'h/help'
        case 'snapshots'
            __cairn_parse_subcommand 0 'r/repo=' 's3-path-style' 'connections=' 'lock-wait=' 'password-file=' 'password-command=' 'json' 'version' 'h/help'
        case 'restore'
            __cairn_parse_subcommand 2 'r/repo=' 's3-path-style' 'connections=' 'lock-wait=' 'password-file=' 'password-command=' 'include=+' 'overwrite' 'numeric-owner' 'json' 'q/quiet' 'v/verbose' 'version' 'h/help'
        case 'forget'
            __cairn_parse_subcommand 0 'r/repo=' 's3-path-style' 'connections=' 'lock-wait=' 'password-file=' 'password-command=' 'keep=' 'keep-last=' 'keep-hourly=' 'keep-daily=' 'keep-weekly=' 'keep-monthly=' 'keep-yearly=' 'keep-within=' 'keep-tag=+' 'group-by=' 'allow-empty' 'dry-run' 'json' 'q/quiet' 'v/verbose' 'version' 'h/help'
        case 'gc'
            __cairn_parse_subcommand 0 'r/repo=' 's3-path-style' 'connections=' 'lock-wait=' 'password-file=' 'password-command=' 'dry-run' 'json' 'q/quiet' 'v/verbose' 'version' 'h/help'
        case 'check'
            __cairn_parse_subcommand 0 'r/repo=' 's3-path-style' 'connections=' 'lock-wait=' 'password-file=' 'password-command=' 'read-data' 'repair' 'json' 'q/quiet' 'v/verbose' 'version' 'h/help'
        case 'ls'
            __cairn_parse_subcommand 2 'r/repo=' 's3-path-style' 'connections=' 'lock-wait=' 'password-file=' 'password-command=' 'json' 'version' 'h/help'
        case 'diff'
            __cairn_parse_subcommand 2 'r/repo=' 's3-path-style' 'connections=' 'lock-wait=' 'password-file=' 'password-command=' 'json' 'version' 'h/help'
        case 'stats'
            __cairn_parse_subcommand 0 'r/repo=' 's3-path-style' 'connections=' 'lock-wait=' 'password-file=' 'password-command=' 'json' 'version' 'h/help'
        case 'key'
            __cairn_parse_subcommand 0 'version' 'h/help'
            switch $unparsed_tokens[1]
            case 'list'
                __cairn_parse_subcommand 0 'r/repo=' 's3-path-style' 'connections=' 'lock-wait=' 'password-file=' 'password-command=' 'json' 'version' 'h/help'
            case 'add'
                __cairn_parse_subcommand 0 'r/repo=' 's3-path-style' 'connections=' 'lock-wait=' 'password-file=' 'password-command=' 'new-password-file=' 'version' 'h/help'
            case 'remove'
                __cairn_parse_subcommand 1 'r/repo=' 's3-path-style' 'connections=' 'lock-wait=' 'password-file=' 'password-command=' 'version' 'h/help'
            case 'passwd'
                __cairn_parse_subcommand 0 'r/repo=' 's3-path-style' 'connections=' 'lock-wait=' 'password-file=' 'password-command=' 'new-password-file=' 'version' 'h/help'
            end
        case 'log'
            __cairn_parse_subcommand 0 'r/repo=' 's3-path-style' 'connections=' 'lock-wait=' 'password-file=' 'password-command=' 'last=' 'version' 'h/help'
        case 'unlock'
            __cairn_parse_subcommand 0 'r/repo=' 's3-path-style' 'connections=' 'lock-wait=' 'password-file=' 'password-command=' 'force' 'version' 'h/help'
        case 'help'
            __cairn_parse_subcommand -r 1 'version'
        end
    end
end

function __cairn_tokens
    if test (string split -m 1 -f 1 -- . "$FISH_VERSION") -gt 3
        commandline --tokens-raw $argv
    else
        commandline -o $argv
    end
end

function __cairn_parse_subcommand -S -a positional_count
    argparse -s r -- $argv
    set -l option_specs $argv[2..]
    set -l is_repeating_positional $_flag_r
    set -el _flag_r
    set -a commands $unparsed_tokens[1]
    set positional_index 0
    while true
        set -e unparsed_tokens[1]
        argparse -sn "$commands" $option_specs -- $unparsed_tokens 2> /dev/null
        set unparsed_tokens $argv
        set positional_index (math $positional_index + 1)
        for non_repeating_flag_or_option in $non_repeating_flags_or_options
            if set -ql "_flag_$(string replace -a - _ -- $non_repeating_flag_or_option)"
                set non_repeating_flags_or_options_absent 1
                break
            end
        end
        test (count $unparsed_tokens) -eq 0 -o \( -z "$is_repeating_positional" -a "$positional_index" -gt "$positional_count" \) && break
    end
end

function __cairn_complete_directories
    set -l token (commandline -t)
    string match -- '*/' $token
    set -l subdirs $token*/
    printf %s\n $subdirs
end

function __cairn_custom_completion
    set -x SAP_SHELL fish
    set -x SAP_SHELL_VERSION $FISH_VERSION
    set -l tokens (__cairn_tokens -p)
    if test -z "$(__cairn_tokens -t)"
        set -l index (count (__cairn_tokens -pc))
        set tokens $tokens[..$index] \'\' $tokens[(math $index + 1)..]
    end
    command $tokens[1] $argv $tokens
end

complete -c 'cairn' -f
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn" version' -l 'version' -d 'Show the version.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_positional "cairn" -eq 1' -fa 'init' -d 'Create a new, empty repository.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_positional "cairn" -eq 1' -fa 'backup' -d 'Back up directories as a new snapshot, or run the scheduled job from a config file.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_positional "cairn" -eq 1' -fa 'snapshots' -d 'List the snapshots in the repository, oldest first.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_positional "cairn" -eq 1' -fa 'restore' -d 'Restore a snapshot into a target directory.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_positional "cairn" -eq 1' -fa 'forget' -d 'Remove the snapshots that no keep rule keeps (space comes back with \'cairn gc\').'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_positional "cairn" -eq 1' -fa 'gc' -d 'Delete the objects no snapshot references any more, and leftovers of interrupted runs.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_positional "cairn" -eq 1' -fa 'check' -d 'Verify that every snapshot can be restored.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_positional "cairn" -eq 1' -fa 'ls' -d 'List the entries of a snapshot, or of one path in it.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_positional "cairn" -eq 1' -fa 'diff' -d 'Show what changed between two snapshots.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_positional "cairn" -eq 1' -fa 'stats' -d 'Show how much the repository holds and how much deduplication saves.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_positional "cairn" -eq 1' -fa 'key' -d 'List, add, remove or change the passwords of an encrypted repository.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_positional "cairn" -eq 1' -fa 'log' -d 'Print the log kept in the repository (backup.log), opening sealed lines of an encrypted one.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_positional "cairn" -eq 1' -fa 'unlock' -d 'Remove stale locks of an S3 repository (all locks with --force).'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_positional "cairn" -eq 1' -fa 'help' -d 'Show subcommand help information.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn init" r repo' -s 'r' -l 'repo' -d 'The repository: a directory, or s3:http[s]://HOST[:PORT]/BUCKET[/PREFIX] (default: $CAIRN_REPO).' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn init" s3-path-style' -l 's3-path-style' -d 'Address S3 buckets by path (HOST/BUCKET), as custom endpoints need; AWS uses BUCKET.HOST.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn init" connections' -l 'connections' -d 'Requests to an S3 repository in flight at once.' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn init" lock-wait' -l 'lock-wait' -d 'Seconds to wait for another cairn process to release the repository.' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn init" password-file' -l 'password-file' -d 'Read the repository password from this file (default: $CAIRN_PASSWORD_FILE).' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn init" password-command' -l 'password-command' -d 'Run this command and use its output as the password (default: $CAIRN_PASSWORD_COMMAND).' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn init" block-size' -l 'block-size' -d 'Block size in bytes, 65536 to 16777216; files are split into blocks of this size (default: 1 MiB for a local folder, 8 MiB on S3, where each object is a request).' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn init" compression' -l 'compression' -d 'Compression of stored objects: \'zstd\' (default), \'zstd:LEVEL\' (1 to 19) or \'none\'.' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn init" encryption' -l 'encryption' -d 'Encryption: \'aes-256-gcm\' (default on S3) or \'none\' (default for a local folder).' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn init" kdf-cost' -l 'kdf-cost' -d 'The cost of deriving the key from the password: log2 of scrypt\'s N with p = 1 (10 to 20; default: N = 2^15, p = 4).' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn init" version' -l 'version' -d 'Show the version.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn init" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn backup" r repo' -s 'r' -l 'repo' -d 'The repository: a directory, or s3:http[s]://HOST[:PORT]/BUCKET[/PREFIX] (default: $CAIRN_REPO).' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn backup" s3-path-style' -l 's3-path-style' -d 'Address S3 buckets by path (HOST/BUCKET), as custom endpoints need; AWS uses BUCKET.HOST.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn backup" connections' -l 'connections' -d 'Requests to an S3 repository in flight at once.' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn backup" lock-wait' -l 'lock-wait' -d 'Seconds to wait for another cairn process to release the repository.' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn backup" password-file' -l 'password-file' -d 'Read the repository password from this file (default: $CAIRN_PASSWORD_FILE).' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn backup" password-command' -l 'password-command' -d 'Run this command and use its output as the password (default: $CAIRN_PASSWORD_COMMAND).' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn backup" config' -l 'config' -d 'Run the scheduled job described by this YAML file.' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn backup" if-due' -l 'if-due' -d 'With --config: do nothing (but log it) when the newest snapshot is younger than backup_interval_hours.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn backup" full' -l 'full' -d 'Take a full snapshot: read and hash every file.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn backup" differential' -l 'differential' -d 'Take a differential snapshot against the newest full.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn backup" full-every' -l 'full-every' -d 'Days after which the next backup is full.' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn backup" time' -l 'time' -d 'Date the snapshot at this time and run as if it were now: \'2026-01-02 15:04:05\' (local time) or ISO 8601 with a zone.' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn backup" keep' -l 'keep' -d 'Same as --keep-last.' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn backup" keep-last' -l 'keep-last' -d 'Keep the newest N snapshots of each group.' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn backup" keep-hourly' -l 'keep-hourly' -d 'Keep the newest snapshot of each of the last N hours that have one.' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn backup" keep-daily' -l 'keep-daily' -d 'Keep the newest snapshot of each of the last N days that have one.' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn backup" keep-weekly' -l 'keep-weekly' -d 'Keep the newest snapshot of each of the last N ISO weeks that have one.' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn backup" keep-monthly' -l 'keep-monthly' -d 'Keep the newest snapshot of each of the last N months that have one.' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn backup" keep-yearly' -l 'keep-yearly' -d 'Keep the newest snapshot of each of the last N years that have one.' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn backup" keep-within' -l 'keep-within' -d 'Keep every snapshot this close to the group\'s newest: 30d, 2w, 1y2m, 12h (y m w d h).' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn backup"' -l 'keep-tag' -d 'Keep every snapshot with this tag (repeatable).' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn backup" group-by' -l 'group-by' -d 'Apply the rules within groups of snapshots that share these: any of host, paths, tags, comma-separated; \'\' for the whole repository.' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn backup" allow-empty' -l 'allow-empty' -d 'Allow rules that would remove every snapshot of a group.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn backup"' -l 'tag' -d 'Label the snapshot with this tag (repeatable).' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn backup"' -l 'exclude' -d 'Do not back up paths matching this glob (repeatable): \'*.tmp\', \'/home/*/.cache\', \'/srv/**/cache\'.' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn backup" compression' -l 'compression' -d 'Compress new objects of this run with \'none\', \'zstd\' or \'zstd:LEVEL\' (default: the repository\'s).' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn backup" exclude-caches' -l 'exclude-caches' -d 'Leave out directories holding a CACHEDIR.TAG file with the standard signature.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn backup"' -l 'exclude-if-present' -d 'Leave out directories holding a file of this name (repeatable).' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn backup" exclude-larger-than' -l 'exclude-larger-than' -d 'Leave out files larger than this: bytes, or 500k, 20M, 2G.' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn backup"' -l 'exclude-file' -d 'Read exclude patterns from this file, one a line; \'#\' starts a comment (repeatable).' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn backup" one-file-system' -l 'one-file-system' -d 'Do not descend into other file systems mounted below a source.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn backup" json' -l 'json' -d 'Print the result as one JSON document.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn backup" q quiet' -l 'quiet' -s 'q' -d 'Print nothing but errors.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn backup" v verbose' -l 'verbose' -s 'v' -d 'Print the summary even when stdout is not a terminal.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn backup" version' -l 'version' -d 'Show the version.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn backup" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn snapshots" r repo' -s 'r' -l 'repo' -d 'The repository: a directory, or s3:http[s]://HOST[:PORT]/BUCKET[/PREFIX] (default: $CAIRN_REPO).' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn snapshots" s3-path-style' -l 's3-path-style' -d 'Address S3 buckets by path (HOST/BUCKET), as custom endpoints need; AWS uses BUCKET.HOST.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn snapshots" connections' -l 'connections' -d 'Requests to an S3 repository in flight at once.' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn snapshots" lock-wait' -l 'lock-wait' -d 'Seconds to wait for another cairn process to release the repository.' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn snapshots" password-file' -l 'password-file' -d 'Read the repository password from this file (default: $CAIRN_PASSWORD_FILE).' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn snapshots" password-command' -l 'password-command' -d 'Run this command and use its output as the password (default: $CAIRN_PASSWORD_COMMAND).' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn snapshots" json' -l 'json' -d 'Print a JSON array of snapshot records.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn snapshots" version' -l 'version' -d 'Show the version.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn snapshots" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn restore" r repo' -s 'r' -l 'repo' -d 'The repository: a directory, or s3:http[s]://HOST[:PORT]/BUCKET[/PREFIX] (default: $CAIRN_REPO).' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn restore" s3-path-style' -l 's3-path-style' -d 'Address S3 buckets by path (HOST/BUCKET), as custom endpoints need; AWS uses BUCKET.HOST.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn restore" connections' -l 'connections' -d 'Requests to an S3 repository in flight at once.' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn restore" lock-wait' -l 'lock-wait' -d 'Seconds to wait for another cairn process to release the repository.' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn restore" password-file' -l 'password-file' -d 'Read the repository password from this file (default: $CAIRN_PASSWORD_FILE).' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn restore" password-command' -l 'password-command' -d 'Run this command and use its output as the password (default: $CAIRN_PASSWORD_COMMAND).' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn restore"' -l 'include' -d 'Restore only this absolute path and what lies below it (repeatable).' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn restore" overwrite' -l 'overwrite' -d 'Restore into a non-empty target, replacing files in the way.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn restore" numeric-owner' -l 'numeric-owner' -d 'As root, set owners by the stored numeric ids only, not by the stored user and group names.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn restore" json' -l 'json' -d 'Print the result as one JSON document.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn restore" q quiet' -l 'quiet' -s 'q' -d 'Print nothing but errors.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn restore" v verbose' -l 'verbose' -s 'v' -d 'Print the summary even when stdout is not a terminal.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn restore" version' -l 'version' -d 'Show the version.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn restore" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn forget" r repo' -s 'r' -l 'repo' -d 'The repository: a directory, or s3:http[s]://HOST[:PORT]/BUCKET[/PREFIX] (default: $CAIRN_REPO).' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn forget" s3-path-style' -l 's3-path-style' -d 'Address S3 buckets by path (HOST/BUCKET), as custom endpoints need; AWS uses BUCKET.HOST.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn forget" connections' -l 'connections' -d 'Requests to an S3 repository in flight at once.' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn forget" lock-wait' -l 'lock-wait' -d 'Seconds to wait for another cairn process to release the repository.' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn forget" password-file' -l 'password-file' -d 'Read the repository password from this file (default: $CAIRN_PASSWORD_FILE).' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn forget" password-command' -l 'password-command' -d 'Run this command and use its output as the password (default: $CAIRN_PASSWORD_COMMAND).' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn forget" keep' -l 'keep' -d 'Same as --keep-last.' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn forget" keep-last' -l 'keep-last' -d 'Keep the newest N snapshots of each group.' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn forget" keep-hourly' -l 'keep-hourly' -d 'Keep the newest snapshot of each of the last N hours that have one.' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn forget" keep-daily' -l 'keep-daily' -d 'Keep the newest snapshot of each of the last N days that have one.' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn forget" keep-weekly' -l 'keep-weekly' -d 'Keep the newest snapshot of each of the last N ISO weeks that have one.' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn forget" keep-monthly' -l 'keep-monthly' -d 'Keep the newest snapshot of each of the last N months that have one.' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn forget" keep-yearly' -l 'keep-yearly' -d 'Keep the newest snapshot of each of the last N years that have one.' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn forget" keep-within' -l 'keep-within' -d 'Keep every snapshot this close to the group\'s newest: 30d, 2w, 1y2m, 12h (y m w d h).' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn forget"' -l 'keep-tag' -d 'Keep every snapshot with this tag (repeatable).' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn forget" group-by' -l 'group-by' -d 'Apply the rules within groups of snapshots that share these: any of host, paths, tags, comma-separated; \'\' for the whole repository.' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn forget" allow-empty' -l 'allow-empty' -d 'Allow rules that would remove every snapshot of a group.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn forget" dry-run' -l 'dry-run' -d 'Show what would be kept and removed, and why, without removing anything.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn forget" json' -l 'json' -d 'Print the result as one JSON document.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn forget" q quiet' -l 'quiet' -s 'q' -d 'Print nothing but errors.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn forget" v verbose' -l 'verbose' -s 'v' -d 'Print the summary even when stdout is not a terminal.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn forget" version' -l 'version' -d 'Show the version.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn forget" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn gc" r repo' -s 'r' -l 'repo' -d 'The repository: a directory, or s3:http[s]://HOST[:PORT]/BUCKET[/PREFIX] (default: $CAIRN_REPO).' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn gc" s3-path-style' -l 's3-path-style' -d 'Address S3 buckets by path (HOST/BUCKET), as custom endpoints need; AWS uses BUCKET.HOST.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn gc" connections' -l 'connections' -d 'Requests to an S3 repository in flight at once.' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn gc" lock-wait' -l 'lock-wait' -d 'Seconds to wait for another cairn process to release the repository.' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn gc" password-file' -l 'password-file' -d 'Read the repository password from this file (default: $CAIRN_PASSWORD_FILE).' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn gc" password-command' -l 'password-command' -d 'Run this command and use its output as the password (default: $CAIRN_PASSWORD_COMMAND).' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn gc" dry-run' -l 'dry-run' -d 'Count what would be deleted without deleting anything.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn gc" json' -l 'json' -d 'Print the result as one JSON document.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn gc" q quiet' -l 'quiet' -s 'q' -d 'Print nothing but errors.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn gc" v verbose' -l 'verbose' -s 'v' -d 'Print the summary even when stdout is not a terminal.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn gc" version' -l 'version' -d 'Show the version.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn gc" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn check" r repo' -s 'r' -l 'repo' -d 'The repository: a directory, or s3:http[s]://HOST[:PORT]/BUCKET[/PREFIX] (default: $CAIRN_REPO).' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn check" s3-path-style' -l 's3-path-style' -d 'Address S3 buckets by path (HOST/BUCKET), as custom endpoints need; AWS uses BUCKET.HOST.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn check" connections' -l 'connections' -d 'Requests to an S3 repository in flight at once.' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn check" lock-wait' -l 'lock-wait' -d 'Seconds to wait for another cairn process to release the repository.' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn check" password-file' -l 'password-file' -d 'Read the repository password from this file (default: $CAIRN_PASSWORD_FILE).' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn check" password-command' -l 'password-command' -d 'Run this command and use its output as the password (default: $CAIRN_PASSWORD_COMMAND).' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn check" read-data' -l 'read-data' -d 'Read every referenced object and verify its SHA-256.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn check" repair' -l 'repair' -d 'Move damaged objects into quarantine/ so that the next backup writes them again (needs --read-data).'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn check" json' -l 'json' -d 'Print the result as one JSON document.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn check" q quiet' -l 'quiet' -s 'q' -d 'Print nothing but errors.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn check" v verbose' -l 'verbose' -s 'v' -d 'Print the summary even when stdout is not a terminal.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn check" version' -l 'version' -d 'Show the version.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn check" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn ls" r repo' -s 'r' -l 'repo' -d 'The repository: a directory, or s3:http[s]://HOST[:PORT]/BUCKET[/PREFIX] (default: $CAIRN_REPO).' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn ls" s3-path-style' -l 's3-path-style' -d 'Address S3 buckets by path (HOST/BUCKET), as custom endpoints need; AWS uses BUCKET.HOST.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn ls" connections' -l 'connections' -d 'Requests to an S3 repository in flight at once.' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn ls" lock-wait' -l 'lock-wait' -d 'Seconds to wait for another cairn process to release the repository.' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn ls" password-file' -l 'password-file' -d 'Read the repository password from this file (default: $CAIRN_PASSWORD_FILE).' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn ls" password-command' -l 'password-command' -d 'Run this command and use its output as the password (default: $CAIRN_PASSWORD_COMMAND).' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn ls" json' -l 'json' -d 'Print a JSON array of entries.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn ls" version' -l 'version' -d 'Show the version.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn ls" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn diff" r repo' -s 'r' -l 'repo' -d 'The repository: a directory, or s3:http[s]://HOST[:PORT]/BUCKET[/PREFIX] (default: $CAIRN_REPO).' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn diff" s3-path-style' -l 's3-path-style' -d 'Address S3 buckets by path (HOST/BUCKET), as custom endpoints need; AWS uses BUCKET.HOST.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn diff" connections' -l 'connections' -d 'Requests to an S3 repository in flight at once.' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn diff" lock-wait' -l 'lock-wait' -d 'Seconds to wait for another cairn process to release the repository.' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn diff" password-file' -l 'password-file' -d 'Read the repository password from this file (default: $CAIRN_PASSWORD_FILE).' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn diff" password-command' -l 'password-command' -d 'Run this command and use its output as the password (default: $CAIRN_PASSWORD_COMMAND).' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn diff" json' -l 'json' -d 'Print the differences as JSON.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn diff" version' -l 'version' -d 'Show the version.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn diff" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn stats" r repo' -s 'r' -l 'repo' -d 'The repository: a directory, or s3:http[s]://HOST[:PORT]/BUCKET[/PREFIX] (default: $CAIRN_REPO).' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn stats" s3-path-style' -l 's3-path-style' -d 'Address S3 buckets by path (HOST/BUCKET), as custom endpoints need; AWS uses BUCKET.HOST.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn stats" connections' -l 'connections' -d 'Requests to an S3 repository in flight at once.' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn stats" lock-wait' -l 'lock-wait' -d 'Seconds to wait for another cairn process to release the repository.' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn stats" password-file' -l 'password-file' -d 'Read the repository password from this file (default: $CAIRN_PASSWORD_FILE).' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn stats" password-command' -l 'password-command' -d 'Run this command and use its output as the password (default: $CAIRN_PASSWORD_COMMAND).' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn stats" json' -l 'json' -d 'Print the figures as JSON.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn stats" version' -l 'version' -d 'Show the version.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn stats" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn key" version' -l 'version' -d 'Show the version.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn key" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_positional "cairn key" -eq 1' -fa 'list' -d 'List the key files; \'*\' marks the one used.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_positional "cairn key" -eq 1' -fa 'add' -d 'Add a password that opens the repository.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_positional "cairn key" -eq 1' -fa 'remove' -d 'Remove a key (not the one given to this command).'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_positional "cairn key" -eq 1' -fa 'passwd' -d 'Change the password: add a key with the new one, then remove the key that was used.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn key list" r repo' -s 'r' -l 'repo' -d 'The repository: a directory, or s3:http[s]://HOST[:PORT]/BUCKET[/PREFIX] (default: $CAIRN_REPO).' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn key list" s3-path-style' -l 's3-path-style' -d 'Address S3 buckets by path (HOST/BUCKET), as custom endpoints need; AWS uses BUCKET.HOST.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn key list" connections' -l 'connections' -d 'Requests to an S3 repository in flight at once.' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn key list" lock-wait' -l 'lock-wait' -d 'Seconds to wait for another cairn process to release the repository.' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn key list" password-file' -l 'password-file' -d 'Read the repository password from this file (default: $CAIRN_PASSWORD_FILE).' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn key list" password-command' -l 'password-command' -d 'Run this command and use its output as the password (default: $CAIRN_PASSWORD_COMMAND).' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn key list" json' -l 'json' -d 'Print the keys as JSON.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn key list" version' -l 'version' -d 'Show the version.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn key list" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn key add" r repo' -s 'r' -l 'repo' -d 'The repository: a directory, or s3:http[s]://HOST[:PORT]/BUCKET[/PREFIX] (default: $CAIRN_REPO).' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn key add" s3-path-style' -l 's3-path-style' -d 'Address S3 buckets by path (HOST/BUCKET), as custom endpoints need; AWS uses BUCKET.HOST.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn key add" connections' -l 'connections' -d 'Requests to an S3 repository in flight at once.' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn key add" lock-wait' -l 'lock-wait' -d 'Seconds to wait for another cairn process to release the repository.' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn key add" password-file' -l 'password-file' -d 'Read the repository password from this file (default: $CAIRN_PASSWORD_FILE).' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn key add" password-command' -l 'password-command' -d 'Run this command and use its output as the password (default: $CAIRN_PASSWORD_COMMAND).' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn key add" new-password-file' -l 'new-password-file' -d 'Read the new password from this file (default: ask on the terminal).' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn key add" version' -l 'version' -d 'Show the version.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn key add" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn key remove" r repo' -s 'r' -l 'repo' -d 'The repository: a directory, or s3:http[s]://HOST[:PORT]/BUCKET[/PREFIX] (default: $CAIRN_REPO).' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn key remove" s3-path-style' -l 's3-path-style' -d 'Address S3 buckets by path (HOST/BUCKET), as custom endpoints need; AWS uses BUCKET.HOST.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn key remove" connections' -l 'connections' -d 'Requests to an S3 repository in flight at once.' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn key remove" lock-wait' -l 'lock-wait' -d 'Seconds to wait for another cairn process to release the repository.' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn key remove" password-file' -l 'password-file' -d 'Read the repository password from this file (default: $CAIRN_PASSWORD_FILE).' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn key remove" password-command' -l 'password-command' -d 'Run this command and use its output as the password (default: $CAIRN_PASSWORD_COMMAND).' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn key remove" version' -l 'version' -d 'Show the version.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn key remove" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn key passwd" r repo' -s 'r' -l 'repo' -d 'The repository: a directory, or s3:http[s]://HOST[:PORT]/BUCKET[/PREFIX] (default: $CAIRN_REPO).' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn key passwd" s3-path-style' -l 's3-path-style' -d 'Address S3 buckets by path (HOST/BUCKET), as custom endpoints need; AWS uses BUCKET.HOST.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn key passwd" connections' -l 'connections' -d 'Requests to an S3 repository in flight at once.' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn key passwd" lock-wait' -l 'lock-wait' -d 'Seconds to wait for another cairn process to release the repository.' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn key passwd" password-file' -l 'password-file' -d 'Read the repository password from this file (default: $CAIRN_PASSWORD_FILE).' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn key passwd" password-command' -l 'password-command' -d 'Run this command and use its output as the password (default: $CAIRN_PASSWORD_COMMAND).' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn key passwd" new-password-file' -l 'new-password-file' -d 'Read the new password from this file (default: ask on the terminal).' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn key passwd" version' -l 'version' -d 'Show the version.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn key passwd" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn log" r repo' -s 'r' -l 'repo' -d 'The repository: a directory, or s3:http[s]://HOST[:PORT]/BUCKET[/PREFIX] (default: $CAIRN_REPO).' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn log" s3-path-style' -l 's3-path-style' -d 'Address S3 buckets by path (HOST/BUCKET), as custom endpoints need; AWS uses BUCKET.HOST.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn log" connections' -l 'connections' -d 'Requests to an S3 repository in flight at once.' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn log" lock-wait' -l 'lock-wait' -d 'Seconds to wait for another cairn process to release the repository.' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn log" password-file' -l 'password-file' -d 'Read the repository password from this file (default: $CAIRN_PASSWORD_FILE).' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn log" password-command' -l 'password-command' -d 'Run this command and use its output as the password (default: $CAIRN_PASSWORD_COMMAND).' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn log" last' -l 'last' -d 'Print only the last N lines.' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn log" version' -l 'version' -d 'Show the version.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn log" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn unlock" r repo' -s 'r' -l 'repo' -d 'The repository: a directory, or s3:http[s]://HOST[:PORT]/BUCKET[/PREFIX] (default: $CAIRN_REPO).' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn unlock" s3-path-style' -l 's3-path-style' -d 'Address S3 buckets by path (HOST/BUCKET), as custom endpoints need; AWS uses BUCKET.HOST.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn unlock" connections' -l 'connections' -d 'Requests to an S3 repository in flight at once.' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn unlock" lock-wait' -l 'lock-wait' -d 'Seconds to wait for another cairn process to release the repository.' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn unlock" password-file' -l 'password-file' -d 'Read the repository password from this file (default: $CAIRN_PASSWORD_FILE).' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn unlock" password-command' -l 'password-command' -d 'Run this command and use its output as the password (default: $CAIRN_PASSWORD_COMMAND).' -rfka ''
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn unlock" force' -l 'force' -d 'Remove every lock, also those of operations that may still be running.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn unlock" version' -l 'version' -d 'Show the version.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn unlock" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'cairn' -n '__cairn_should_offer_completions_for_flags_or_options "cairn help" version' -l 'version' -d 'Show the version.'
