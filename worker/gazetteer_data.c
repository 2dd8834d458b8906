/* The built-in gazetteer text (the .tsv files of data/gazetteer, see its README), embedded with
 * .incbin so the binary needs no data file at run time; parsed once per process by gazetteer.c. */
#define NF_GAZ_DIR NF_SOURCE_DIR "/data/gazetteer/"

__asm__(".section .rodata\n"
        ".global nf_gazetteer_data\n"
        ".global nf_gazetteer_data_end\n"
        "nf_gazetteer_data:\n"
        ".incbin \"" NF_GAZ_DIR "countries.tsv\"\n"
        ".incbin \"" NF_GAZ_DIR "cities.tsv\"\n"
        ".incbin \"" NF_GAZ_DIR "aliases.tsv\"\n"
        ".incbin \"" NF_GAZ_DIR "geonames.tsv\"\n"
        ".incbin \"" NF_GAZ_DIR "regions.tsv\"\n"
        ".incbin \"" NF_GAZ_DIR "orgs.tsv\"\n"
        "nf_gazetteer_data_end:\n"
        ".byte 0\n"
        ".previous\n");

/* Nationality adjectives (demonyms.tsv): not places, cue words of the entity stage's lexicon. */
__asm__(".section .rodata\n"
        ".global nf_demonym_data\n"
        ".global nf_demonym_data_end\n"
        "nf_demonym_data:\n"
        ".incbin \"" NF_GAZ_DIR "demonyms.tsv\"\n"
        "nf_demonym_data_end:\n"
        ".byte 0\n"
        ".previous\n");
