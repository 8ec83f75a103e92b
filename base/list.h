/* SPDX-License-Identifier: MIT */
/*
 * list.h - intrusive doubly linked lists, in the manner of systemd's list.h:
 * each entry carries its own prev and next pointers (any field names), and
 * the list is a pointer to its first entry.  Used by the agent for its
 * queues of parked connections and of HTTPS calls.
 */
#pragma once

/*
 * LIST_UNLINK() - take @item out of the list that starts at @head, through
 * the @prev and @next fields of its entries.  @item's own two pointers are
 * left as they were; a list that also keeps its last entry updates that
 * itself.
 */
#define LIST_UNLINK(prev, next, head, item)                                                        \
        do {                                                                                       \
                __typeof__(item) _lu_item = (item);                                                \
                                                                                                   \
                if (_lu_item->next)                                                                \
                        _lu_item->next->prev = _lu_item->prev;                                     \
                if (_lu_item->prev)                                                                \
                        _lu_item->prev->next = _lu_item->next;                                     \
                else                                                                               \
                        (head) = _lu_item->next;                                                   \
        } while (0)
